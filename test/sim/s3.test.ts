import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/sim/account.js';
import { ScenarioFleetSchema } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';
import { getJson, putJson } from '../../lib/store/run-store.js';
import { RunStoreError } from '../../lib/errors.js';

const BUCKET = 'eks-windows-patch-ci-runstatebucket-111122223333';
const fleet = ScenarioFleetSchema.parse({ amis: [], ssmParameters: {}, launchTemplates: [] });
const s3 = new S3Client({ region: 'us-west-2' });

let sim: { restore(): void };
let account: SimulatedAccount;
beforeEach(() => {
  account = new SimulatedAccount({ fleet, faults: [], durations: {} });
  account.createBucket(BUCKET);
  sim = installSimulation(account, {});
});
afterEach(() => sim.restore());

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => e);

describe('the simulated S3 (run-state bucket)', () => {
  it('stores an object encrypted and gives it back as it was written', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/r1/v/plan.json', Body: '{"a":"é"}' }));
    expect(put.ServerSideEncryption).toBe('AES256');

    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/r1/v/plan.json' }));
    expect(await got.Body?.transformToString()).toBe('{"a":"é"}');
    expect(got.ContentLength).toBe(10);
    expect(got.ETag).toBe(put.ETag);
  });

  it('answers an unknown key with NoSuchKey (404), an unknown bucket with NoSuchBucket, a key over 1,024 bytes with KeyTooLongError', async () => {
    const missing = await errorOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/none.json' })));
    expect(missing).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: 'someone-elses', Key: 'k', Body: 'x' })))).toMatchObject({ name: 'NoSuchBucket' });
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k'.repeat(1025), Body: 'x' })))).toMatchObject({ name: 'KeyTooLongError' });
  });

  it('lib/store reads back what it wrote, and names the object and the way out when it is gone', async () => {
    await putJson(BUCKET, 'runs/r1/v/wave-0.json', [{ asgName: 'ng-a' }]);
    expect(await getJson(BUCKET, 'runs/r1/v/wave-0.json')).toEqual([{ asgName: 'ng-a' }]);

    const gone = await errorOf(getJson(BUCKET, 'runs/r1/v/wave-1.json'));
    expect(gone).toBeInstanceOf(RunStoreError);
    expect(gone?.message).toBe(`cannot read s3://${BUCKET}/runs/r1/v/wave-1.json (NoSuchKey: The specified key does not exist.): the run's stored state is gone (expired, or the bucket was emptied); start a new run`);
  });
});
