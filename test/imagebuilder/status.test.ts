import { CreateTagsCommand, EC2Client, type CreateTagsCommandInput } from '@aws-sdk/client-ec2';
import { CancelImageCreationCommand, GetImageCommand, ImagebuilderClient, type GetImageCommandOutput } from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AmiTaggingFailedError, ImageBuildFailedError, ImageBuildTimedOutError } from '../../lib/errors.js';
import { buildStart, checkImage, judgeImage, TAGGING_GRACE_SECONDS, untagged, type ImageCheckRequest } from '../../lib/imagebuilder/status.js';
import type { VariantPlan } from '../../lib/plan/types.js';

const ib = mockClient(ImagebuilderClient);
const ec2 = mockClient(EC2Client);
const IMAGE_ARN = 'arn:aws:imagebuilder:us-west-2:111122223333:image/prod-win2022-core-131-patched/2026.1115.1/1';
const STARTED = '2026-11-15T09:00:00.000Z';
const NEW_AMI = 'ami-0c0ffee0000000001';

const variant: VariantPlan = {
  id: 'win2022-core-131',
  windows: '2022',
  edition: 'Core',
  kubernetes: '1.31',
  sourceParameter: '/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id',
  sourceAmi: 'ami-0a2022c0000000001',
  lastBuiltSourceAmi: null,
  amiId: null,
  stages: { build: true, fastLaunch: true, rollout: true },
  images: ['mcr.microsoft.com/windows/servercore:ltsc2022'],
  imagesDigest: '0123456789abcdef',
  waves: [],
  warnings: [],
  childName: 'release-1-win2022-core-131',
};

const request = (over: Partial<ImageCheckRequest> = {}): ImageCheckRequest => ({
  run: { executionName: 'release-1', startTime: STARTED, reason: 'test' },
  variant,
  image: {
    imageBuildVersionArn: IMAGE_ARN,
    recipeName: 'prod-win2022-core-131-patched',
    semanticVersion: '2026.1115.1',
    startedAt: STARTED,
    status: 'PENDING',
    ready: false,
    amiId: null,
    waitSeconds: 300,
    notice: null,
  },
  executionArn: 'arn:aws:states:us-west-2:111122223333:execution:patch-variant:release-1-win2022-core-131',
  region: 'us-west-2',
  timeoutMinutes: 240,
  pollSeconds: 300,
  ...over,
});

function imageIs(status: string, extra: Partial<NonNullable<GetImageCommandOutput['image']>> = {}) {
  ib.on(GetImageCommand).resolves({ image: { arn: IMAGE_ARN, dateCreated: STARTED, state: { status: status as 'BUILDING' }, ...extra } });
}

const minutesAfterStart = (m: number) => vi.setSystemTime(Date.parse(STARTED) + m * 60_000);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  ib.reset();
  ec2.reset();
  ec2.on(CreateTagsCommand).resolves({});
  ib.on(CancelImageCreationCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
});
afterEach(() => {
  vi.useRealTimers();
  ib.reset();
  ec2.reset();
});

describe('checkImage', () => {
  it('keeps waiting while the build runs and says how long to wait next', async () => {
    imageIs('BUILDING');
    minutesAfterStart(10);

    const state = await checkImage(request());

    expect(state).toMatchObject({ ready: false, status: 'BUILDING', amiId: null, notice: null, imageBuildVersionArn: IMAGE_ARN });
    expect(state.waitSeconds).toBeGreaterThanOrEqual(60);
    expect(state.waitSeconds).toBeLessThanOrEqual(4 * 300);
    expect(ib.commandCalls(GetImageCommand)[0]?.args[0].input).toEqual({ imageBuildVersionArn: IMAGE_ARN });
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
  });

  it('wakes up at the deadline rather than one long wait past it', async () => {
    imageIs('BUILDING');
    minutesAfterStart(10);

    const state = await checkImage(request({ timeoutMinutes: 30, pollSeconds: 600 }));

    expect(state.waitSeconds).toBeLessThanOrEqual(20 * 60 + 1);
    expect(state.waitSeconds).toBeGreaterThanOrEqual(60);
  });

  it('tags the new AMI with variant, source AMI, execution, Kubernetes version and images digest once AVAILABLE', async () => {
    imageIs('AVAILABLE', { outputResources: { amis: [{ region: 'us-west-2', image: NEW_AMI, accountId: '111122223333' }] } });
    minutesAfterStart(70);

    const state = await checkImage(request());

    expect(state).toMatchObject({ ready: true, status: 'AVAILABLE', amiId: NEW_AMI, waitSeconds: 0 });
    expect(state.notice?.subject).toContain(NEW_AMI);
    const [tags] = ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input as CreateTagsCommandInput);
    expect(tags?.Resources).toEqual([NEW_AMI]);
    expect(tags?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'eks-windows-patch:variant', Value: 'win2022-core-131' },
        { Key: 'eks-windows-patch:source-ami', Value: 'ami-0a2022c0000000001' },
        { Key: 'eks-windows-patch:execution', Value: 'release-1' },
        { Key: 'eks-windows-patch:kubernetes', Value: '1.31' },
        { Key: 'eks-windows-patch:images-digest', Value: '0123456789abcdef' },
      ]),
    );
  });

  it('picks the AMI of its own region when the build distributed to several', async () => {
    imageIs('AVAILABLE', {
      outputResources: {
        amis: [
          { region: 'eu-west-1', image: 'ami-0eu0000000000001' },
          { region: 'us-west-2', image: NEW_AMI },
        ],
      },
    });

    expect((await checkImage(request())).amiId).toBe(NEW_AMI);
  });

  it('fails with the reason Image Builder gives and the build log group when the build FAILED', async () => {
    imageIs('FAILED', { state: { status: 'FAILED', reason: 'update-windows exited with 0x80070643' } });

    const error = await checkImage(request()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ImageBuildFailedError);
    expect((error as Error).name).toBe('ImageBuildFailedError');
    expect((error as Error).message).toContain('update-windows exited with 0x80070643');
    expect((error as Error).message).toContain('/aws/imagebuilder/prod-win2022-core-131-patched');
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
  });

  it('cancels a build still running past imageBuilder.timeoutMinutes, then fails', async () => {
    imageIs('BUILDING');
    minutesAfterStart(241);

    const error = await checkImage(request({ timeoutMinutes: 240 })).catch((e: unknown) => e);

    expect(ib.commandCalls(CancelImageCreationCommand).map((c) => c.args[0].input.imageBuildVersionArn)).toEqual([IMAGE_ARN]);
    expect(error).toBeInstanceOf(ImageBuildTimedOutError);
    expect((error as Error).message).toContain('240 minutes');
  });

  it('counts the deadline from the build creation, not from a retried step', async () => {
    imageIs('BUILDING', { dateCreated: STARTED });
    minutesAfterStart(245);
    const retriedStep = request({ timeoutMinutes: 240 });
    retriedStep.image = { ...retriedStep.image, startedAt: new Date(Date.parse(STARTED) + 30 * 60_000).toISOString() };

    await expect(checkImage(retriedStep)).rejects.toBeInstanceOf(ImageBuildTimedOutError);
  });

  it('takes AVAILABLE over the deadline: a finished build is never cancelled', async () => {
    imageIs('AVAILABLE', { outputResources: { amis: [{ region: 'us-west-2', image: NEW_AMI }] } });
    minutesAfterStart(300);

    expect((await checkImage(request({ timeoutMinutes: 240 }))).ready).toBe(true);
    expect(ib.commandCalls(CancelImageCreationCommand)).toHaveLength(0);
  });
});

describe('judgeImage', () => {
  it('ends the line on FAILED or CANCELLED and waits on every phase in between', () => {
    expect(judgeImage('FAILED', 0, 240)).toBe('failed');
    expect(judgeImage('CANCELLED', 0, 240)).toBe('failed');
    for (const s of ['PENDING', 'CREATING', 'BUILDING', 'TESTING', 'DISTRIBUTING', 'INTEGRATING'] as const) expect(judgeImage(s, 60, 240)).toBe('waiting');
    expect(judgeImage('BUILDING', 240 * 60 + 1, 240)).toBe('timedOut');
  });
});

describe('buildStart', () => {
  it('is the earlier of the step start and the build creation, ignoring an unreadable date', () => {
    expect(buildStart('2026-11-15T10:00:00Z', '2026-11-15T09:00:00Z')).toBe(Date.parse('2026-11-15T09:00:00Z'));
    expect(buildStart('2026-11-15T09:00:00Z', '2026-11-15T10:00:00Z')).toBe(Date.parse('2026-11-15T09:00:00Z'));
    expect(buildStart('2026-11-15T09:00:00Z', 'not a date')).toBe(Date.parse('2026-11-15T09:00:00Z'));
  });
});

describe('a finished build whose AMI cannot be tagged', () => {
  const throttled = Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded', $fault: 'client' });

  it('refuses to report a build whose tagging was denied as failed: the error names the AMI that exists untagged', async () => {
    imageIs('AVAILABLE', { outputResources: { amis: [{ region: 'us-west-2', image: NEW_AMI }] } });
    ec2.on(CreateTagsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'UnauthorizedOperation', $fault: 'client' }));
    minutesAfterStart(61);

    const error = await checkImage(request()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AmiTaggingFailedError);
    expect((error as Error).message).toContain(NEW_AMI);
    expect(error).not.toBeInstanceOf(ImageBuildFailedError);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(1);
  });

  it('keeps the AMI and checks again soon while tagging is throttled', () => {
    minutesAfterStart(61);
    const state = untagged(request().image, NEW_AMI, throttled, 61 * 60, 240);

    expect(state).toMatchObject({ ready: false, status: 'AVAILABLE', amiId: NEW_AMI, untaggedSince: new Date(Date.parse(STARTED) + 61 * 60_000).toISOString() });
    expect(state.waitSeconds).toBeGreaterThan(0);
  });

  it('gives up only past the build deadline and an hour of retries, naming the AMI', () => {
    const since = new Date(Date.parse(STARTED) + 200 * 60_000).toISOString();
    minutesAfterStart(200 + TAGGING_GRACE_SECONDS / 60 - 1);
    expect(untagged({ ...request().image, untaggedSince: since }, NEW_AMI, throttled, 259 * 60, 240).ready).toBe(false);

    minutesAfterStart(200 + TAGGING_GRACE_SECONDS / 60);
    expect(() => untagged({ ...request().image, untaggedSince: since }, NEW_AMI, throttled, 260 * 60, 240)).toThrow(new RegExp(`AMI ${NEW_AMI} exists but could not be tagged`));
  });
});
