import { DescribeAutoScalingGroupsCommand, AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeFastLaunchImagesCommand, DescribeImagesCommand, DisableFastLaunchCommand, EC2Client, EnableFastLaunchCommand } from '@aws-sdk/client-ec2';
import { CancelImageCreationCommand, CreateComponentCommand, CreateImageCommand, CreateImageRecipeCommand, GetImageCommand, ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { install } from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/sim/account.js';
import { FaultSchema, ScenarioFleetSchema, type Fault } from '../../local/sim/fleet.js';
import { installSimulation, type CallRecord } from '../../local/sim/install.js';

const PARENT = 'ami-0000000000000a001';
const LINUX = 'ami-0000000000000c003';
const PARAM = '/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id';
const MIN = 60_000;
const fleet = ScenarioFleetSchema.parse({
  amis: [
    { id: PARENT, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15' },
    { id: LINUX, name: 'amazon-eks-node-1.31', platform: 'linux' },
  ],
  ssmParameters: { [PARAM]: PARENT },
  launchTemplates: [{ name: 'fast-launch', versions: [{ imageId: PARENT, userData: false }] }],
});
const region = 'us-west-2';
const ib = new ImagebuilderClient({ region });
const ec2 = new EC2Client({ region });
const sns = new SNSClient({ region });
const sfn = new SFNClient({ region });
const ssm = new SSMClient({ region });
const COMPONENT = 'schemaVersion: 1.0\nphases:\n  - name: build\n    steps:\n      - name: Pull\n        action: ExecutePowerShell\n        inputs:\n          commands: ["ctr -n k8s.io images pull x"]\n';
const SM = 'arn:aws:states:us-west-2:111122223333:stateMachine:patch-run';

let clock: ReturnType<typeof install>;
let sim: { restore(): void };
let calls: CallRecord[];

function setup(faults: unknown[] = [], random?: () => number): SimulatedAccount {
  const account = new SimulatedAccount({ fleet, faults: faults.map((f) => FaultSchema.parse(f)) as Fault[], durations: { imageBuild: 100 } });
  calls = [];
  sim = installSimulation(account, { onCall: (c) => calls.push(c), ...(random ? { random } : {}) });
  return account;
}

async function build(recipe = 'win-2022-core'): Promise<string> {
  const c = await ib.send(new CreateComponentCommand({ name: 'cache-images', semanticVersion: '1.0.0', platform: 'Windows', data: COMPONENT }));
  const r = await ib.send(
    new CreateImageRecipeCommand({
      name: recipe,
      semanticVersion: '1.0.0',
      parentImage: `ssm:${PARAM}`,
      components: [{ componentArn: 'arn:aws:imagebuilder:us-west-2:aws:component/update-windows/x.x.x' }, { componentArn: c.componentBuildVersionArn }],
    }),
  );
  const img = await ib.send(new CreateImageCommand({ imageRecipeArn: r.imageRecipeArn, infrastructureConfigurationArn: 'arn:aws:imagebuilder:us-west-2:111122223333:infrastructure-configuration/x' }));
  return img.imageBuildVersionArn ?? '';
}
const status = async (arn: string) => (await ib.send(new GetImageCommand({ imageBuildVersionArn: arn }))).image;

beforeEach(() => {
  clock = install({ now: Date.parse('2026-10-20T09:00:00Z'), toFake: ['Date'] });
});
afterEach(() => {
  sim.restore();
  clock.uninstall();
});

describe('Image Builder', () => {
  it('moves an image through its phases and publishes a Windows AMI when AVAILABLE', async () => {
    setup();
    const arn = await build();
    expect(arn).toBe('arn:aws:imagebuilder:us-west-2:111122223333:image/win-2022-core/1.0.0/1');
    expect((await status(arn))?.state?.status).toBe('PENDING');
    clock.tick(30 * MIN);
    expect((await status(arn))?.state?.status).toBe('BUILDING');
    clock.tick(60 * MIN);
    expect((await status(arn))?.state?.status).toBe('TESTING');
    clock.tick(10 * MIN);
    const done = await status(arn);
    expect(done?.state?.status).toBe('AVAILABLE');
    const ami = done?.outputResources?.amis?.[0];
    expect(ami).toMatchObject({ region, accountId: '111122223333' });
    const described = await ec2.send(new DescribeImagesCommand({ ImageIds: [ami?.image ?? ''] }));
    expect(described.Images?.[0]?.Platform).toBe('windows');
  });

  it('fails the build an injected fault names, with its reason, and refuses to cancel it afterwards', async () => {
    setup([{ kind: 'imageBuildFailure', recipe: '2022-core', reason: 'update-windows failed: 0x80070643', at: 'BUILDING' }]);
    const arn = await build();
    clock.tick(50 * MIN);
    expect((await status(arn))?.state).toEqual({ status: 'FAILED', reason: 'update-windows failed: 0x80070643' });
    await expect(ib.send(new CancelImageCreationCommand({ imageBuildVersionArn: arn }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });

  it('keeps components immutable per name and version, honours client tokens and limits inline data', async () => {
    setup();
    const make = (data: string, clientToken?: string) =>
      ib.send(new CreateComponentCommand({ name: 'drain', semanticVersion: '1.0.0', platform: 'Windows', data, ...(clientToken ? { clientToken } : {}) }));
    await make(COMPONENT, 'tok-1');
    await expect(make(COMPONENT, 'tok-1')).resolves.toMatchObject({ componentBuildVersionArn: expect.stringContaining('component/drain/1.0.0/1') });
    await expect(make(`${COMPONENT}# changed\n`, 'tok-1')).rejects.toMatchObject({ name: 'IdempotentParameterMismatchException' });
    await expect(make(COMPONENT, 'tok-2')).rejects.toMatchObject({ name: 'ResourceAlreadyExistsException' });
    const huge = `${COMPONENT}${'#'.repeat(16_001)}`;
    await expect(ib.send(new CreateComponentCommand({ name: 'big', semanticVersion: '1.0.0', platform: 'Windows', data: huge }))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
  });
});

describe('Fast Launch', () => {
  const enable = (ImageId: string, MaxParallelLaunches = 6) =>
    ec2.send(new EnableFastLaunchCommand({ ImageId, ResourceType: 'snapshot', MaxParallelLaunches, LaunchTemplate: { LaunchTemplateName: 'fast-launch', Version: '1' } }));
  const state = async () => (await ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [PARENT] }))).FastLaunchImages?.[0];

  it('goes from enabling to enabled, and can be disabled', async () => {
    setup();
    expect((await enable(PARENT)).State).toBe('enabling');
    clock.tick(31 * MIN);
    expect(await state()).toMatchObject({ State: 'enabled', MaxParallelLaunches: 6, LaunchTemplate: { LaunchTemplateName: 'fast-launch', Version: '1' } });
    expect((await ec2.send(new DisableFastLaunchCommand({ ImageId: PARENT }))).State).toBe('disabling');
  });

  it('rejects fewer than 6 parallel launches, Linux AMIs, and launches beyond the regional quota of 40', async () => {
    setup();
    await expect(enable(PARENT, 5)).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(enable(LINUX)).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(enable(PARENT, 41)).rejects.toMatchObject({ name: 'ResourceLimitExceeded' });
    await expect(enable(PARENT, 40)).resolves.toMatchObject({ State: 'enabling' });
  });

  it('refuses to enable again until a DisableFastLaunch has removed the snapshots', async () => {
    setup();
    await enable(PARENT);
    clock.tick(31 * MIN);
    await ec2.send(new DisableFastLaunchCommand({ ImageId: PARENT }));

    await expect(enable(PARENT)).rejects.toMatchObject({ name: 'IncorrectState' });
    clock.tick(6 * MIN);
    expect(await state()).toBeUndefined();
    await expect(enable(PARENT)).resolves.toMatchObject({ State: 'enabling' });
  });

  it('refuses a second enable while the first is still enabling (the stricter reading: AWS does not document it)', async () => {
    setup();
    await enable(PARENT);
    clock.tick(5 * MIN);
    await expect(enable(PARENT)).rejects.toMatchObject({ name: 'IncorrectState' });
    clock.tick(26 * MIN);
    expect(await state()).toMatchObject({ State: 'enabled' });
    await expect(enable(PARENT)).resolves.toMatchObject({ State: 'enabled' });
  });

  it('ends in the injected failure state with its reason', async () => {
    setup([{ kind: 'fastLaunchFailure', state: 'enabling-failed', reason: 'no capacity' }]);
    await enable(PARENT);
    clock.tick(31 * MIN);
    expect(await state()).toMatchObject({ State: 'enabling-failed', StateTransitionReason: 'no capacity' });
  });
});

describe('SNS, Step Functions and SSM', () => {
  const topic = 'arn:aws:sns:us-west-2:111122223333:patch-notices';

  it('refuses a subject an e-mail cannot carry and records what was published', async () => {
    const account = setup();
    await expect(sns.send(new PublishCommand({ TopicArn: topic, Subject: 'Patched — all good', Message: 'x' }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(sns.send(new PublishCommand({ TopicArn: topic, Subject: 'a\nb', Message: 'x' }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await sns.send(new PublishCommand({ TopicArn: topic, Subject: 'All nodes patched', Message: 'done', MessageAttributes: { severity: { DataType: 'String', StringValue: 'info' } } }));
    expect(account.published).toEqual([{ t: '2026-10-20T09:00:00.000Z', topicArn: topic, subject: 'All nodes patched', message: 'done', attributes: { severity: { DataType: 'String', StringValue: 'info' } } }]);
  });

  it('de-duplicates executions by name the way standard workflows do', async () => {
    const account = setup();
    const started: string[] = [];
    account.setExecutionStarter((e) => started.push(e.name));
    const start = (input: string) => sfn.send(new StartExecutionCommand({ stateMachineArn: SM, name: 'release-2026-10-15', input }));
    const first = await start('{"a":1}');
    expect((await start('{"a":1}')).executionArn).toBe(first.executionArn);
    await expect(start('{"a":2}')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: SM, name: '2026-10-15T00:00:00Z' }))).rejects.toMatchObject({ name: 'InvalidName' });
    account.completeExecution(first.executionArn ?? '', 'SUCCEEDED', { ok: true });
    await expect(start('{"a":1}')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    expect(started).toEqual(['release-2026-10-15']);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }))).output).toBe('{"ok":true}');
    expect((await sfn.send(new ListExecutionsCommand({ stateMachineArn: SM, statusFilter: 'RUNNING' }))).executions).toEqual([]);
  });

  it('reads public parameters and keeps PutParameter from overwriting by accident', async () => {
    setup();
    expect((await ssm.send(new GetParameterCommand({ Name: PARAM }))).Parameter?.Value).toBe(PARENT);
    expect((await ssm.send(new GetParametersCommand({ Names: [PARAM, '/nope'] }))).InvalidParameters).toEqual(['/nope']);
    await expect(ssm.send(new GetParameterCommand({ Name: '/nope' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
    await ssm.send(new PutParameterCommand({ Name: '/patch/last', Value: 'a', Type: 'String' }));
    await expect(ssm.send(new PutParameterCommand({ Name: '/patch/last', Value: 'b', Type: 'String' }))).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });
    expect((await ssm.send(new PutParameterCommand({ Name: '/patch/last', Value: 'b', Overwrite: true }))).Version).toBe(2);
  });
});

describe('installation', () => {
  it('throttles with each service’s own error name and reports every call', async () => {
    setup([{ kind: 'throttle', rate: 0.5, operations: ['DescribeAutoScalingGroups', 'GetParameter'] }], () => 0.1);
    const asg = new AutoScalingClient({ region });
    await expect(asg.send(new DescribeAutoScalingGroupsCommand({}))).rejects.toMatchObject({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    await expect(ssm.send(new GetParameterCommand({ Name: PARAM }))).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(ssm.send(new GetParametersCommand({ Names: [PARAM] }))).resolves.toMatchObject({ Parameters: [{ Name: PARAM }] });
    expect(calls.map((c) => [c.service, c.operation, c.error])).toEqual([
      ['AutoScaling', 'DescribeAutoScalingGroups', 'Throttling'],
      ['SSM', 'GetParameter', 'ThrottlingException'],
      ['SSM', 'GetParameters', undefined],
    ]);
  });

  it('loses the answer of a call that took effect: the caller sees ECONNRESET, the account has the result', async () => {
    setup([{ kind: 'lostResponse', operation: 'EC2.EnableFastLaunch', times: 1 }]);
    await expect(ec2.send(new EnableFastLaunchCommand({ ImageId: PARENT, MaxParallelLaunches: 6, LaunchTemplate: { LaunchTemplateName: 'fast-launch', Version: '1' } }))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [PARENT] }))).FastLaunchImages?.[0]).toMatchObject({ State: 'enabling' });
    expect(calls.map((c) => [c.operation, c.error, c.tookEffect])).toEqual([
      ['EnableFastLaunch', 'ECONNRESET', true],
      ['DescribeFastLaunchImages', undefined, undefined],
    ]);
  });

  it('throttles a service only inside its window of simulated minutes', async () => {
    setup([{ kind: 'throttle', rate: 1, services: ['SSM'], fromMinute: 10, forMinutes: 5 }]);
    const get = () => ssm.send(new GetParameterCommand({ Name: PARAM }));
    await expect(get()).resolves.toBeDefined();
    clock.tick(11 * MIN);
    await expect(get()).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(ec2.send(new DescribeFastLaunchImagesCommand({}))).resolves.toBeDefined();
    clock.tick(5 * MIN);
    await expect(get()).resolves.toBeDefined();
  });

  it('names the operation it does not implement', async () => {
    const account = setup();
    await expect(account.call('EC2', 'RunInstances', {})).rejects.toThrow('SimulatedAccount does not implement EC2.RunInstances');
  });

  it('leaves a snapshot unchanged by reads as time passes', async () => {
    const account = setup();
    const arn = await build();
    const before = account.snapshot();
    clock.tick(200 * MIN);
    await status(arn);
    await ec2.send(new DescribeImagesCommand({}));
    account.images();
    expect(account.snapshot()).toEqual(before);
  });
});
