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
