import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagingOptions } from '../bench/bundles.js';

/**
 * scripts/esbuild-plugins.cjs leaves most SDK error classes out of the bundles
 * (their registrations) and stubs the event stream codec. lib/ and the state
 * machines tell errors apart by `error.name`, so a bundled client must still throw
 * the same names, messages and faults as the unbundled one. Each case answers one
 * call with AWS's own error wire format for that protocol.
 */
const ROOT = resolve(import.meta.dirname, '..');

const PROBE = `
import { SSMClient, GetParameterCommand } from '@aws-sdk/client-ssm';
import { AutoScalingClient, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { EKSClient, DescribeNodegroupCommand } from '@aws-sdk/client-eks';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

const answer = (statusCode, headers, body) => ({ handle: async () => ({ response: { statusCode, headers, body: Buffer.from(body) } }) });
const base = (handler) => ({ region: 'us-west-2', maxAttempts: 1, credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' }, requestHandler: handler });
const xmlError = (code, message) => '<ErrorResponse><Error><Type>Sender</Type><Code>' + code + '</Code><Message>' + message + '</Message></Error><RequestId>r-1</RequestId></ErrorResponse>';

const cases = {
  // https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html (JSON 1.1, query compatible)
  ssmParameterNotFound: () => new SSMClient(base(answer(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-query-error': 'ParameterNotFound;Sender' }, JSON.stringify({ __type: 'ParameterNotFound', message: 'no such parameter' })))).send(new GetParameterCommand({ Name: '/x' })),
  // A plain JSON client reads the class name from __type (SSM's awsQueryError code for this one is AutomationDefinitionNotApproved).
  ssmRenamedInQuery: () => new SSMClient(base(answer(400, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify({ __type: 'AutomationDefinitionNotApprovedException', Message: 'not approved' })))).send(new GetParameterCommand({ Name: '/x' })),
  ssmThrottling: () => new SSMClient(base(answer(400, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' })))).send(new GetParameterCommand({ Name: '/x' })),
  // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_StartInstanceRefresh.html (Query: wire code differs from the class name)
  asgRefreshInProgress: () => new AutoScalingClient(base(answer(400, { 'content-type': 'text/xml' }, xmlError('InstanceRefreshInProgress', 'An Instance Refresh is already in progress')))).send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'g' })),
  asgValidationError: () => new AutoScalingClient(base(answer(400, { 'content-type': 'text/xml' }, xmlError('ValidationError', 'No active Lifecycle Action found')))).send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'g' })),
  // https://docs.aws.amazon.com/eks/latest/APIReference/API_DescribeNodegroup.html (REST JSON)
  eksNotFound: () => new EKSClient(base(answer(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' }, JSON.stringify({ message: 'No node group found for name: ng' })))).send(new DescribeNodegroupCommand({ clusterName: 'c', nodegroupName: 'ng' })),
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html (JSON 1.0)
  sfnAlreadyExists: () => new SFNClient(base(answer(400, { 'content-type': 'application/x-amz-json-1.0' }, JSON.stringify({ __type: 'com.amazonaws.states#ExecutionAlreadyExists', message: 'Execution Already Exists' })))).send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-west-2:111122223333:stateMachine:m', name: 'n' })),
  sfnServerFault: () => new SFNClient(base(answer(500, { 'content-type': 'application/x-amz-json-1.0' }, JSON.stringify({ __type: 'com.amazonaws.states#InternalError', message: 'oops' })))).send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-west-2:111122223333:stateMachine:m', name: 'n' })),
};

export const run = async () => {
  const out = {};
  for (const [k, call] of Object.entries(cases)) {
    try { await call(); out[k] = 'no error'; }
    catch (e) { out[k] = { name: e.name, message: e.message, fault: e.$fault, status: e.$metadata?.httpStatusCode }; }
  }
  return out;
};
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bundle-errors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bundled(plugins: boolean, contents = PROBE): Promise<unknown> {
  const options = packagingOptions();
  const out = await build({
    ...options,
    ...(plugins ? {} : { plugins: [] }),
    stdin: { contents, resolveDir: ROOT, sourcefile: 'probe.ts', loader: 'ts' },
    write: false,
    logLevel: 'silent',
  });
  const file = join(dir, `probe-${plugins ? 'plugins' : 'plain'}-${contents.length}.cjs`);
  writeFileSync(file, out.outputFiles[0]?.contents ?? '');
  const child = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)}).run().then((r) => process.stdout.write(JSON.stringify(r)))`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1' } });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  return JSON.parse(child.stdout);
}

describe('SDK errors from a bundle built with scripts/esbuild-plugins.cjs', () => {
  it('carry the names, messages and faults lib/ and the state machines match on, as without the plugins', async () => {
    const [withPlugins, without] = await Promise.all([bundled(true), bundled(false)]);
    expect(withPlugins).toEqual({
      ssmParameterNotFound: { name: 'ParameterNotFound', message: 'no such parameter', fault: 'client', status: 400 },
      ssmRenamedInQuery: { name: 'AutomationDefinitionNotApprovedException', message: 'not approved', fault: 'client', status: 400 },
      ssmThrottling: { name: 'ThrottlingException', message: 'Rate exceeded', fault: 'client', status: 400 },
      asgRefreshInProgress: { name: 'InstanceRefreshInProgressFault', message: 'An Instance Refresh is already in progress', fault: 'client', status: 400 },
      asgValidationError: { name: 'ValidationError', message: 'No active Lifecycle Action found', fault: 'client', status: 400 },
      eksNotFound: { name: 'ResourceNotFoundException', message: 'No node group found for name: ng', fault: 'client', status: 404 },
      sfnAlreadyExists: { name: 'ExecutionAlreadyExists', message: 'Execution Already Exists', fault: 'client', status: 400 },
      sfnServerFault: { name: 'InternalError', message: 'oops', fault: 'server', status: 500 },
    });
    expect(withPlugins).toEqual(without);
  });
});

/** Every lib/ module that declares a class, exported under its own name. */
function classModules(): string[] {
  const files = readdirSync(resolve(ROOT, 'lib'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return files.filter((f) => /^export (abstract )?class /m.test(readFileSync(resolve(ROOT, 'lib', f), 'utf8'))).sort();
}

describe('class names in a bundle minified without keepNames', () => {
  it("are our classes' own names, so errors keep the name the state machines' Retry/Catch match", async () => {
    const modules = classModules();
    expect(modules).toContain('errors.ts');
    const entry = `${modules.map((f, i) => `import * as m${i} from './lib/${f.replace(/\.ts$/, '.js')}';`).join('\n')}
import { ConfigError, PlanError } from './lib/errors.js';
export const run = async () => {
  const names: Record<string, string> = {};
  for (const m of [${modules.map((_, i) => `m${i}`).join(', ')}] as Record<string, unknown>[])
    for (const [k, v] of Object.entries(m)) if (typeof v === 'function' && /^class\\b/.test(Function.prototype.toString.call(v))) names[k] = v.name;
  return { names, instances: [new ConfigError('input', ['x: bad']).name, new PlanError('no').name] };
};`;
    const result = (await bundled(true, entry)) as { names: Record<string, string>; instances: string[] };
    expect(Object.keys(result.names).length).toBeGreaterThanOrEqual(15);
    for (const [exported, name] of Object.entries(result.names)) expect(name, exported).toBe(exported);
    expect(result.instances).toEqual(['ConfigError', 'PlanError']);
  });
});

/**
 * scripts/esbuild-plugins.cjs gives the S3 client a resolver for S3's regional endpoints in place of its endpoint
 * rule set (sdk-s3-plain-endpoint), a stub for its event stream codec (sdk-s3-no-event-streams) and node:crypto's
 * SHA-1 without the JavaScript fallback (sdk-native-sha1). The run-state
 * bucket's calls (lib/store/run-store.ts: PutObject and GetObject of JSON) must send the same requests (URL,
 * method, headers, signature scope, body) and read the same answers as the client bundled without the plugins.
 */
const S3_PROBE = `
import { S3Client, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';

const BUCKET = 'eks-windows-patch-ci-runstatebucket-111122223333';
const VOLATILE = new Set(['x-amz-date', 'amz-sdk-invocation-id', 'user-agent', 'x-amz-user-agent']);
const seen = [];
const handler = (statusCode, headers, body) => ({
  handle: async (request) => {
    const chunks = [];
    if (request.body && typeof request.body !== 'string' && !(request.body instanceof Uint8Array)) for await (const c of request.body) chunks.push(Buffer.from(c));
    const sent = typeof request.body === 'string' ? request.body : request.body instanceof Uint8Array ? Buffer.from(request.body).toString() : Buffer.concat(chunks).toString();
    const h = Object.fromEntries(Object.entries(request.headers).filter(([k]) => !VOLATILE.has(k.toLowerCase())).map(([k, v]) => [k.toLowerCase(), k.toLowerCase() === 'authorization' ? v.replace(/\\d{8}\\//, 'DATE/').replace(/Signature=\\w+/, 'Signature=…') : v]).sort());
    seen.push({ method: request.method, url: request.protocol + '//' + request.hostname + request.path, query: request.query, headers: h, body: sent });
    return { response: { statusCode, headers, body: Readable.from([Buffer.from(body)]) } };
  },
});
const client = (region, answer, extra = {}) => new S3Client({ region, maxAttempts: 1, credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' }, requestHandler: answer, ...extra });
const ok = (headers = {}, body = '') => handler(200, headers, body);
const s3Error = (status, code, message) => handler(status, { 'content-type': 'application/xml' }, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>' + code + '</Code><Message>' + message + '</Message><RequestId>r-1</RequestId></Error>');

const cases = {
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
  put: async () => {
    const o = await client('us-west-2', ok({ etag: '"e1"', 'x-amz-server-side-encryption': 'AES256' })).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/r1/v/plan.json', Body: JSON.stringify({ a: 'é' }), ContentType: 'application/json' }));
    return { ETag: o.ETag, ServerSideEncryption: o.ServerSideEncryption };
  },
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
  get: async () => {
    const body = JSON.stringify({ waves: [1, 2] });
    const o = await client('us-west-2', ok({ etag: '"e1"', 'content-type': 'application/json', 'content-length': String(body.length) }, body)).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/r1/v/wave-0.json' }));
    return { body: await o.Body.transformToString(), ContentLength: o.ContentLength, ETag: o.ETag, ContentType: o.ContentType };
  },
  // GetObject validates the checksum S3 stored with the object (here SHA-1: sdk-native-sha1 keeps node:crypto's).
  getSha1Checked: async () => {
    const body = '{"ok":true}';
    const o = await client('us-west-2', ok({ 'x-amz-checksum-sha1': createHash('sha1').update(body).digest('base64'), 'x-amz-checksum-type': 'FULL_OBJECT' }, body)).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k.json' }));
    return await o.Body.transformToString();
  },
  getSha1Mismatch: async () => {
    const o = await client('us-west-2', ok({ 'x-amz-checksum-sha1': createHash('sha1').update('other').digest('base64'), 'x-amz-checksum-type': 'FULL_OBJECT' }, '{"ok":true}')).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k.json' }));
    return await o.Body.transformToString();
  },
  getInChina: async () => (await client('cn-north-1', ok({}, '{}')).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k.json' })), 'ok'),
  getInGovCloud: async () => (await client('us-gov-west-1', ok({}, '{}')).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k.json' })), 'ok'),
  getUsEast1: async () => (await client('us-east-1', ok({}, '{}')).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a b/ü.json' })), 'ok'),
  // Not DNS-compatible for HTTPS virtual hosting (dots): path style.
  getDottedBucket: async () => (await client('eu-west-1', ok({}, '{}')).send(new GetObjectCommand({ Bucket: 'my.run.state', Key: 'k.json' })), 'ok'),
  getPathStyle: async () => (await client('us-west-2', ok({}, '{}'), { forcePathStyle: true }).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k.json' })), 'ok'),
  noSuchKey: () => client('us-west-2', s3Error(404, 'NoSuchKey', 'The specified key does not exist.')).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/none.json' })),
  noSuchBucket: () => client('us-west-2', s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist')).send(new PutObjectCommand({ Bucket: 'someone-elses', Key: 'k', Body: 'x' })),
  slowDown: () => client('us-west-2', s3Error(503, 'SlowDown', 'Please reduce your request rate.')).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: 'x' })),
};
// What the plain resolver leaves out: each must fail before any request is sent, naming the rule.
const leftOut = {
  fips: () => client('us-west-2', ok(), { useFipsEndpoint: true }).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k' })),
  expressDirectoryBucket: () => client('us-west-2', ok()).send(new GetObjectCommand({ Bucket: 'runs--usw2-az1--x-s3', Key: 'k' })),
  accessPointArn: () => client('us-west-2', ok()).send(new GetObjectCommand({ Bucket: 'arn:aws:s3:us-west-2:111122223333:accesspoint/ap', Key: 'k' })),
  customEndpoint: () => client('us-west-2', ok(), { endpoint: 'http://localhost:9000' }).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k' })),
};

export const run = async () => {
  const out = {};
  for (const [k, call] of Object.entries(cases)) {
    seen.length = 0;
    try { out[k] = { result: await call() }; }
    catch (e) { out[k] = { error: { name: e.name, message: e.message, fault: e.$fault, status: e.$metadata?.httpStatusCode } }; }
    out[k].requests = [...seen];
  }
  const failures = {};
  for (const [k, call] of Object.entries(leftOut)) {
    seen.length = 0;
    try { await call(); failures[k] = { sent: seen.length, error: null }; }
    catch (e) { failures[k] = { sent: seen.length, error: e.message }; }
  }
  return { out, failures };
};
`;

type S3Out = Record<string, { result?: unknown; error?: Record<string, unknown>; requests: { method: string; url: string; headers: Record<string, string>; body: string }[] }>;

describe('S3 calls from a bundle built with scripts/esbuild-plugins.cjs', () => {
  it('send the requests and read the answers of the client bundled without the plugins', async () => {
    const [withPlugins, without] = (await Promise.all([bundled(true, S3_PROBE), bundled(false, S3_PROBE)])) as { out: S3Out; failures: Record<string, { sent: number; error: string | null }> }[];
    const w = withPlugins?.out ?? {};
    expect(w.put?.result).toEqual({ ETag: '"e1"', ServerSideEncryption: 'AES256' });
    expect(w.put?.requests[0]).toMatchObject({ method: 'PUT', url: 'https://eks-windows-patch-ci-runstatebucket-111122223333.s3.us-west-2.amazonaws.com/runs/r1/v/plan.json', body: '{"a":"é"}' });
    expect(w.put?.requests[0]?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/DATE\/us-west-2\/s3\/aws4_request, SignedHeaders=[^,]*host[^,]*x-amz-content-sha256/);
    expect(w.get?.result).toEqual({ body: '{"waves":[1,2]}', ContentLength: 15, ETag: '"e1"', ContentType: 'application/json' });
    expect(w.getSha1Checked?.result).toBe('{"ok":true}');
    expect(w.getSha1Mismatch?.error?.message).toMatch(/Checksum mismatch/);
    expect(w.getInChina?.requests[0]?.url).toBe('https://eks-windows-patch-ci-runstatebucket-111122223333.s3.cn-north-1.amazonaws.com.cn/k.json');
    expect(w.getDottedBucket?.requests[0]?.url).toBe('https://s3.eu-west-1.amazonaws.com/my.run.state/k.json');
    expect(w.getPathStyle?.requests[0]?.url).toBe('https://s3.us-west-2.amazonaws.com/eks-windows-patch-ci-runstatebucket-111122223333/k.json');
    expect(w.noSuchKey?.error).toEqual({ name: 'NoSuchKey', message: 'The specified key does not exist.', fault: 'client', status: 404 });
    expect(w.noSuchBucket?.error).toMatchObject({ name: 'NoSuchBucket', status: 404 });
    expect(w.slowDown?.error).toMatchObject({ name: 'SlowDown', fault: 'server', status: 503 });
    expect(withPlugins?.out).toEqual(without?.out);

    for (const [k, f] of Object.entries(withPlugins?.failures ?? {})) {
      expect(f.sent, k).toBe(0);
      expect(f.error, k).toMatch(/left out of this bundle \(scripts\/esbuild-plugins\.cjs sdk-s3-plain-endpoint\)/);
    }
    // Without the plugins the same clients reach FIPS, directory-bucket, access point and custom endpoints.
    expect(Object.values(without?.failures ?? {}).filter((f) => f.error === null).length).toBeGreaterThanOrEqual(2);
  });
});
