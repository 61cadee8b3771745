import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  CompleteLifecycleActionCommand,
  DeleteLifecycleHookCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLifecycleHooksCommand,
  PutLifecycleHookCommand,
  RecordLifecycleActionHeartbeatCommand,
  RollbackInstanceRefreshCommand,
  StartInstanceRefreshCommand,
  type PutLifecycleHookCommandInput,
} from '@aws-sdk/client-auto-scaling';
import { afterEach, describe, expect, it } from 'vitest';
import { installClock, type SimulatedClock } from '../../local/clock.js';
import { SimulatedAccount, type AutoScalingEvent } from '../../local/sim/account.js';
import { WITHOUT_FAST_LAUNCH } from '../../local/sim/fastlaunch.js';
import { FaultSchema, ScenarioFleetSchema, type Fault } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';

const OLD = 'ami-0000000000000a001';
const NEW = 'ami-0000000000000b002';
const S = 1000;
const MIN = 60 * S;
const T0 = Date.parse('2026-10-20T09:00:00Z');
const LAUNCHING = 'autoscaling:EC2_INSTANCE_LAUNCHING';
const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING';
const fleet = ScenarioFleetSchema.parse({
  amis: [
    { id: OLD, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.09.10' },
    // Fast Launch on since an earlier run (its 5 snapshots on hand): the refreshes' launches are fast.
    { id: NEW, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15', fastLaunch: {} },
  ],
  launchTemplates: [
    { name: 'ng-a', versions: [{ imageId: OLD }, { imageId: NEW }] },
    { name: 'ng-b', versions: [{ imageId: OLD }, { imageId: NEW }] },
    { name: 'ng-latest', versions: [{ imageId: OLD }, { imageId: NEW }] },
  ],
  autoScalingGroups: [
    { name: 'ng-a', instances: 2, terminationHook: false },
    // A scenario's foreign drain hook (terminationHook: true) and none of ours: today's timings.
    { name: 'ng-b', instances: 2 },
    { name: 'ng-latest', version: '$Latest', instances: 2, terminationHook: false },
  ],
});

let clock: SimulatedClock | undefined;
let sim: { restore(): void } | undefined;
const asg = new AutoScalingClient({ region: 'us-west-2' });

function setup(faults: unknown[] = []): SimulatedAccount {
  clock = installClock('2026-10-20T09:00:00Z');
  const account = new SimulatedAccount({ fleet, faults: faults.map((f) => FaultSchema.parse(f)) as Fault[] });
  sim = installSimulation(account);
  return account;
}
afterEach(() => {
  sim?.restore();
  clock?.uninstall();
  sim = undefined;
  clock = undefined;
});

const run = <T>(p: Promise<T>): Promise<T> => clock!.drive(p);
/** Lets simulated time run until `ms` after the scenario's start (events fire on the way). */
const at = (ms: number): Promise<void> => run(new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, T0 + ms - Date.now()))));
const put = (input: Partial<PutLifecycleHookCommandInput> & { LifecycleHookName: string }) => run(asg.send(new PutLifecycleHookCommand({ AutoScalingGroupName: 'ng-a', ...input })));
const ready = (extra: Partial<PutLifecycleHookCommandInput> = {}) => put({ LifecycleHookName: 'eks-windows-patch-prod-ready', LifecycleTransition: LAUNCHING, HeartbeatTimeout: 1200, DefaultResult: 'ABANDON', ...extra });
const drain = (extra: Partial<PutLifecycleHookCommandInput> = {}) => put({ LifecycleHookName: 'eks-windows-patch-prod-drain', LifecycleTransition: TERMINATING, HeartbeatTimeout: 300, DefaultResult: 'CONTINUE', ...extra });
const start = (name = 'ng-a', prefs: Record<string, unknown> = { MinHealthyPercentage: 50 }, version = '2') =>
  run(asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: name, DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: name, Version: version } }, Preferences: prefs })));
const instances = async (name = 'ng-a') => (await run(asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })))).AutoScalingGroups?.[0]?.Instances ?? [];
const refresh = async (name = 'ng-a') => (await run(asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name })))).InstanceRefreshes?.[0];
const complete = (input: { InstanceId?: string; LifecycleActionToken?: string; LifecycleActionResult: string; LifecycleHookName?: string }) =>
  run(asg.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'ng-a', LifecycleHookName: 'eks-windows-patch-prod-ready', ...input })));
const states = async (name = 'ng-a') => (await instances(name)).map((i) => `${i.LifecycleState}:${i.LaunchTemplate?.Version}`).sort();
const inState = async (state: string) => (await instances()).filter((i) => i.LifecycleState === state).map((i) => i.InstanceId ?? '');

// First batch: launched after Pending (30 s), Pending:Wait after durations.instanceBoot (4 min).
const WAIT1 = 30 * S + 4 * MIN;
// A launch that booked no Fast Launch snapshot (a relaunch after ABANDON, a rollback's launches): 1 / 0.35 as long.
const SLOW_BOOT = Math.round(4 * MIN * WITHOUT_FAST_LAUNCH);
const SLOW_LAUNCH = Math.round(8 * MIN * WITHOUT_FAST_LAUNCH);

describe('PutLifecycleHook / DescribeLifecycleHooks', () => {
  it.each([
    [{ LifecycleHookName: 'h', LifecycleTransition: 'autoscaling:EC2_INSTANCE_REBOOTING' }, /LifecycleTransition must be/],
    [{ LifecycleHookName: 'h' }, /required for a new hook/],
    [{ LifecycleHookName: 'h', LifecycleTransition: LAUNCHING, HeartbeatTimeout: 29 }, /HeartbeatTimeout must be an integer from 30 to 7200/],
    [{ LifecycleHookName: 'h', LifecycleTransition: LAUNCHING, HeartbeatTimeout: 7201 }, /HeartbeatTimeout/],
    [{ LifecycleHookName: 'h', LifecycleTransition: LAUNCHING, DefaultResult: 'RETRY' }, /DefaultResult must be CONTINUE or ABANDON/],
    [{ LifecycleHookName: 'h', LifecycleTransition: LAUNCHING, NotificationMetadata: 'x'.repeat(1024) }, /NotificationMetadata must be 1 to 1023/],
    [{ LifecycleHookName: 'bad name', LifecycleTransition: LAUNCHING }, /LifecycleHookName/],
    [{ LifecycleHookName: 'x'.repeat(256), LifecycleTransition: LAUNCHING }, /LifecycleHookName/],
  ])('refuses %j with ValidationError', async (input, message) => {
    setup();
    await expect(put(input)).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(message) });
    expect((await run(asg.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'ng-a' })))).LifecycleHooks).toEqual([]);
  });

  it('refuses an unknown group, fills AWS defaults, updates by name and stops at 50 hooks per group', async () => {
    setup();
    await expect(run(asg.send(new PutLifecycleHookCommand({ AutoScalingGroupName: 'nope', LifecycleHookName: 'h', LifecycleTransition: LAUNCHING })))).rejects.toMatchObject({ name: 'ValidationError' });
    await put({ LifecycleHookName: 'h', LifecycleTransition: LAUNCHING });
    const hooks = async (name = 'ng-a') => (await run(asg.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: name })))).LifecycleHooks ?? [];
    expect(await hooks()).toEqual([{ LifecycleHookName: 'h', AutoScalingGroupName: 'ng-a', LifecycleTransition: LAUNCHING, HeartbeatTimeout: 3600, GlobalTimeout: 172_800, DefaultResult: 'ABANDON' }]);
    await put({ LifecycleHookName: 'h', HeartbeatTimeout: 300, NotificationMetadata: '{"v":1}' });
    expect(await hooks()).toEqual([{ LifecycleHookName: 'h', AutoScalingGroupName: 'ng-a', LifecycleTransition: LAUNCHING, HeartbeatTimeout: 300, GlobalTimeout: 30_000, DefaultResult: 'ABANDON', NotificationMetadata: '{"v":1}' }]);
    for (let n = 1; n < 50; n++) await put({ LifecycleHookName: `h${n}`, LifecycleTransition: TERMINATING });
    await expect(put({ LifecycleHookName: 'h50', LifecycleTransition: TERMINATING })).rejects.toMatchObject({ name: 'LimitExceededFault' });
    expect(await hooks()).toHaveLength(50);
    // The scenario's foreign drain hook stays and counts.
    await run(asg.send(new PutLifecycleHookCommand({ AutoScalingGroupName: 'ng-b', LifecycleHookName: 'mine', LifecycleTransition: LAUNCHING })));
    expect((await hooks('ng-b')).map((h) => h.LifecycleHookName)).toEqual(['ng-b-node-drain', 'mine']);
  });
});

describe('a refresh with our lifecycle hooks', () => {
  it('holds a new instance in Pending:Wait until CONTINUE, then warms it up and terminates the old one', async () => {
    const account = setup();
    await ready();
    await start();
    await at(WAIT1 - S);
    expect(await states()).toEqual(['InService:1', 'InService:1', 'Pending:2']);
    await at(WAIT1 + 10 * MIN);
    expect(await states()).toEqual(['InService:1', 'InService:1', 'Pending:Wait:2']);
    expect(await refresh()).toMatchObject({ Status: 'InProgress', PercentageComplete: 0, InstancesToUpdate: 2 });
    const [waiting] = await inState('Pending:Wait');
    await complete({ InstanceId: waiting, LifecycleActionResult: 'CONTINUE' });
    // The batch's instanceLaunch (8 min) is long over: InService, the old instance goes, the next batch launches.
    expect(await states()).toEqual(['InService:1', 'InService:2', 'Pending:2']);
    expect(await refresh()).toMatchObject({ Status: 'InProgress', PercentageComplete: 50, InstancesToUpdate: 1 });
    const t = Date.now() - T0;
    await at(t + 4 * MIN);
    const [second] = await inState('Pending:Wait');
    await complete({ InstanceId: second, LifecycleActionResult: 'CONTINUE' });
    // Warm-up: the rest of the batch's 8 minutes from its launch; the old instance stays until then.
    expect(await states()).toEqual(['InService:1', 'InService:2', 'InService:2']);
    expect(await refresh()).toMatchObject({ Status: 'InProgress', PercentageComplete: 50 });
    await at(t + 8 * MIN);
    expect(await states()).toEqual(['InService:2', 'InService:2']);
    expect(await refresh()).toMatchObject({ Status: 'Successful', PercentageComplete: 100, InstancesToUpdate: 0 });
    expect(account.lifecycleActions().map((a) => [a.result, a.by])).toEqual([
      ['CONTINUE', 'call'],
      ['CONTINUE', 'call'],
    ]);
    const history = account.instanceHistory().filter((h) => h.asgName === 'ng-a');
    expect(history.map((h) => h.lifecycleState).sort()).toEqual(['InService', 'InService', 'Terminated', 'Terminated']);
    const first = history.find((h) => h.instanceId === waiting);
    expect(first).toMatchObject({ imageId: NEW, versionNumber: 2, launchedAt: new Date(T0 + 30 * S).toISOString(), bootedAt: new Date(T0 + WAIT1).toISOString() });
    // Reads never change the state, and the state is JSON.
    const snap = account.snapshot();
    await states();
    account.instanceHistory();
    expect(account.snapshot()).toEqual(snap);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });

  it('takes the DefaultResult when the heartbeat timeout ends', async () => {
    const account = setup();
    await ready({ HeartbeatTimeout: 60, DefaultResult: 'CONTINUE' });
    await start('ng-a', { MinHealthyPercentage: 0 });
    await at(WAIT1 + 59 * S);
    expect(await states()).toEqual(['InService:1', 'InService:1', 'Pending:Wait:2', 'Pending:Wait:2']);
    await at(WAIT1 + 60 * S);
    expect(await states()).toEqual(['InService:1', 'InService:1', 'InService:2', 'InService:2']);
    expect(account.lifecycleActions().map((a) => [a.result, a.by, a.completedAt])).toEqual([
      ['CONTINUE', 'timeout', new Date(T0 + WAIT1 + 60 * S).toISOString()],
      ['CONTINUE', 'timeout', new Date(T0 + WAIT1 + 60 * S).toISOString()],
    ]);
    // One batch of two: done at its launch + 8 min.
    await at(30 * S + 8 * MIN);
    expect(await refresh()).toMatchObject({ Status: 'Successful' });
  });

  it('restarts the heartbeat timeout on RecordLifecycleActionHeartbeat, never past the global timeout', async () => {
    const account = setup();
    await ready({ HeartbeatTimeout: 30, DefaultResult: 'ABANDON' });
    await start();
    await at(WAIT1 + 20 * S);
    const [id] = await inState('Pending:Wait');
    const beat = () => run(asg.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: 'ng-a', LifecycleHookName: 'eks-windows-patch-prod-ready', InstanceId: id })));
    await beat();
    await at(WAIT1 + 45 * S);
    expect(await inState('Pending:Wait')).toEqual([id]);
    // GlobalTimeout = min(172800, 100 × 30) = 3000 s: heartbeats every 25 s cannot keep it longer.
    for (let s = 45; s < 3000; s += 25) {
      await at(WAIT1 + s * S);
      await beat();
    }
    await at(WAIT1 + 2999 * S);
    expect(await inState('Pending:Wait')).toEqual([id]);
    await at(WAIT1 + 3000 * S);
    expect(await inState('Pending:Wait')).toEqual([]);
    const first = account.lifecycleActions()[0];
    expect(first).toMatchObject({ instanceId: id, result: 'ABANDON', by: 'timeout', completedAt: new Date(T0 + WAIT1 + 3000 * S).toISOString() });
    await expect(beat()).rejects.toMatchObject({ name: 'ValidationError', message: `No active Lifecycle Action found with instance ID ${id}` });
  });

  it('ABANDON terminates the instance and launches a replacement that passes the hook again; the refresh stays InProgress', async () => {
    const account = setup();
    await ready();
    await start();
    await at(WAIT1);
    const [id] = await inState('Pending:Wait');
    await complete({ InstanceId: id, LifecycleActionResult: 'ABANDON' });
    const pending = await inState('Pending');
    expect(pending).toHaveLength(1);
    expect(pending[0]).not.toBe(id);
    expect(await refresh()).toMatchObject({ Status: 'InProgress', PercentageComplete: 0 });
    // The replacement booked no snapshot: it boots slowly.
    await at(WAIT1 + SLOW_BOOT);
    expect(await inState('Pending:Wait')).toEqual(pending);
    expect(account.instanceHistory().find((h) => h.instanceId === id)).toMatchObject({ lifecycleState: 'Terminated', terminatedAt: new Date(T0 + WAIT1).toISOString() });
    // Hours later nothing has failed on its own: the second attempt timed out (ABANDON), a third waits.
    await at(WAIT1 + SLOW_BOOT + 20 * MIN + SLOW_BOOT + 1 * S);
    expect(await refresh()).toMatchObject({ Status: 'InProgress' });
    expect(account.lifecycleActions().map((a) => [a.result, a.by])).toEqual([
      ['ABANDON', 'call'],
      ['ABANDON', 'timeout'],
      [undefined, 'timeout'],
    ]);
  });

  it('refuses a second CompleteLifecycleAction for the same token', async () => {
    const account = setup();
    const events: AutoScalingEvent[] = [];
    account.onEvent((e) => events.push(e));
    await ready();
    await start();
    await at(WAIT1);
    const token = events[0]?.detail.LifecycleActionToken ?? '';
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    await complete({ LifecycleActionToken: token, LifecycleActionResult: 'CONTINUE' });
    await expect(complete({ LifecycleActionToken: token, LifecycleActionResult: 'CONTINUE' })).rejects.toMatchObject({ name: 'ValidationError', message: `No active Lifecycle Action found with token ${token}` });
    await expect(complete({ InstanceId: 'i-0000000000000dead', LifecycleActionResult: 'CONTINUE' })).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('holds the old instance in Terminating:Wait for the drain hook; DeleteLifecycleHook completes what is outstanding', async () => {
    const account = setup();
    await ready();
    await drain();
    await start('ng-a', { MinHealthyPercentage: 0 });
    await at(WAIT1);
    // Deleting the launch hook ABANDONs both waits: replacements launch and no longer wait.
    await run(asg.send(new DeleteLifecycleHookCommand({ AutoScalingGroupName: 'ng-a', LifecycleHookName: 'eks-windows-patch-prod-ready' })));
    expect(await states()).toEqual(['InService:1', 'InService:1', 'Pending:2', 'Pending:2']);
    // The replacements booked no snapshot: slow boot and launch.
    await at(WAIT1 + SLOW_BOOT);
    expect(await states()).toEqual(['InService:1', 'InService:1', 'InService:2', 'InService:2']);
    // Warm-up until the replacements' launch + 8 min / 0.35, then the old ones wait for the drain.
    await at(WAIT1 + SLOW_LAUNCH);
    expect(await states()).toEqual(['InService:2', 'InService:2', 'Terminating:Wait:1', 'Terminating:Wait:1']);
    const [leaving] = await inState('Terminating:Wait');
    await complete({ InstanceId: leaving, LifecycleHookName: 'eks-windows-patch-prod-drain', LifecycleActionResult: 'CONTINUE' });
    expect(await states()).toEqual(['InService:2', 'InService:2', 'Terminating:Wait:1']);
    expect(await refresh()).toMatchObject({ Status: 'InProgress' });
    await run(asg.send(new DeleteLifecycleHookCommand({ AutoScalingGroupName: 'ng-a', LifecycleHookName: 'eks-windows-patch-prod-drain' })));
    expect(await states()).toEqual(['InService:2', 'InService:2']);
    expect(await refresh()).toMatchObject({ Status: 'Successful' });
    expect(account.lifecycleActions().map((a) => [a.hookName.split('-').at(-1), a.result, a.by].join(' ')).sort()).toEqual([
      'drain CONTINUE call',
      'drain CONTINUE deleteHook',
      'ready ABANDON deleteHook',
      'ready ABANDON deleteHook',
    ]);
    await expect(run(asg.send(new DeleteLifecycleHookCommand({ AutoScalingGroupName: 'ng-a', LifecycleHookName: 'eks-windows-patch-prod-drain' })))).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('emits the EventBridge events at the simulated moment of each wait, in AWS shape', async () => {
    const account = setup();
    const seen: [number, AutoScalingEvent][] = [];
    account.onEvent((e) => seen.push([Date.now() - T0, e]));
    await ready({ NotificationMetadata: '{"v":1,"run":"r1"}' });
    await drain();
    await start('ng-a', { MinHealthyPercentage: 0 });
    await at(WAIT1 + 30 * S);
    await run(Promise.all((await inState('Pending:Wait')).map((id) => complete({ InstanceId: id, LifecycleActionResult: 'CONTINUE' }))));
    await at(20 * MIN);
    expect(seen.map(([t, e]) => [t, e['detail-type']])).toEqual([
      [WAIT1, 'EC2 Instance-launch Lifecycle Action'],
      [WAIT1, 'EC2 Instance-launch Lifecycle Action'],
      // Warm-up ends at launch (30 s) + 8 min; then the old instances enter Terminating:Wait.
      [30 * S + 8 * MIN, 'EC2 Instance-terminate Lifecycle Action'],
      [30 * S + 8 * MIN, 'EC2 Instance-terminate Lifecycle Action'],
    ]);
    const [, launch] = seen[0]!;
    const group = (await run(asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['ng-a'] })))).AutoScalingGroups?.[0];
    expect(launch).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'EC2 Instance-launch Lifecycle Action',
      source: 'aws.autoscaling',
      account: '111122223333',
      time: new Date(T0 + WAIT1).toISOString().replace('.000Z', 'Z'),
      region: 'us-west-2',
      resources: [group?.AutoScalingGroupARN],
      detail: {
        LifecycleActionToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
        AutoScalingGroupName: 'ng-a',
        LifecycleHookName: 'eks-windows-patch-prod-ready',
        EC2InstanceId: expect.stringMatching(/^i-[0-9a-f]{17}$/),
        LifecycleTransition: LAUNCHING,
        NotificationMetadata: '{"v":1,"run":"r1"}',
        Origin: 'EC2',
        Destination: 'AutoScalingGroup',
      },
    });
    expect(seen[2]?.[1].detail).toMatchObject({ LifecycleHookName: 'eks-windows-patch-prod-drain', LifecycleTransition: TERMINATING, Origin: 'AutoScalingGroup', Destination: 'EC2' });
    expect(seen[2]?.[1].detail.NotificationMetadata).toBeUndefined();
    // Drain timeouts (300 s, CONTINUE) end the refresh.
    expect(await refresh()).toMatchObject({ Status: 'Successful', EndTime: new Date(T0 + 30 * S + 8 * MIN + 300 * S) });
  });
});

describe('cancel and durations', () => {
  it('cancels a hooked refresh after the batch under way, whose instance still passes its hook', async () => {
    setup();
    await ready();
    await start();
    await at(WAIT1);
    await run(asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a' })));
    expect(await refresh()).toMatchObject({ Status: 'Cancelling' });
    await complete({ InstanceId: (await inState('Pending:Wait'))[0], LifecycleActionResult: 'CONTINUE' });
    await at(30 * S + 8 * MIN);
    expect(await refresh()).toMatchObject({ Status: 'Cancelled', PercentageComplete: 50, EndTime: new Date(T0 + 30 * S + 8 * MIN) });
    expect(await states()).toEqual(['InService:1', 'InService:2']);
  });

  it('boots in half a shortened launch time unless told, and refuses a boot time not shorter than the launch', () => {
    expect(new SimulatedAccount({ fleet, durations: { instanceLaunch: 2 } }).durations).toMatchObject({ instanceLaunch: 2, instanceBoot: 1 });
    expect(new SimulatedAccount({ fleet }).durations).toMatchObject({ instanceLaunch: 8, instanceBoot: 4 });
    expect(() => new SimulatedAccount({ fleet, durations: { instanceLaunch: 8, instanceBoot: 8 } })).toThrow(/instanceBoot must be less than/);
  });
});

describe('RollbackInstanceRefresh', () => {
  it('refuses without an active refresh and for $Latest groups', async () => {
    setup();
    await expect(run(asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a' })))).rejects.toMatchObject({ name: 'ActiveInstanceRefreshNotFoundFault' });
    await start('ng-latest');
    await expect(run(asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: 'ng-latest' })))).rejects.toMatchObject({ name: 'IrreversibleInstanceRefreshFault' });
    await run(asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a' })));
    await expect(run(asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a' })))).rejects.toMatchObject({ name: 'IrreversibleInstanceRefreshFault' });
  });

  it('rolls a hooked refresh back to the old version, through the hooks, and says the user asked', async () => {
    const account = setup();
    await ready();
    await start();
    await at(WAIT1);
    await complete({ InstanceId: (await inState('Pending:Wait'))[0], LifecycleActionResult: 'CONTINUE' });
    // The first batch's warm-up ends at its launch + 8 min; the second batch launches then and waits 4 min later.
    const wait2 = 30 * S + 8 * MIN + 4 * MIN;
    await at(wait2);
    const [stray] = await inState('Pending:Wait');
    await run(asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a' })));
    expect(await refresh()).toMatchObject({
      Status: 'RollbackInProgress',
      StatusReason: expect.stringMatching(/requested by the user/),
      PercentageComplete: 0,
      InstancesToUpdate: 1,
      RollbackDetails: { PercentageCompleteOnRollback: 50, InstancesToUpdateOnRollback: 1 },
    });
    // The second batch's instance stays in its wait; ABANDON ends it, and no replacement is launched for it.
    await complete({ InstanceId: stray, LifecycleActionResult: 'ABANDON' });
    expect(await states()).toEqual(['InService:1', 'InService:2', 'Pending:1']);
    // The rollback's launch (the old AMI, Fast Launch never enabled) is slow.
    await at(wait2 + SLOW_BOOT);
    const [back] = await inState('Pending:Wait');
    expect((await instances()).find((i) => i.InstanceId === back)?.LaunchTemplate?.Version).toBe('1');
    await complete({ InstanceId: back, LifecycleActionResult: 'CONTINUE' });
    expect(await refresh()).toMatchObject({ Status: 'RollbackInProgress' });
    await at(wait2 + SLOW_LAUNCH);
    const r = await refresh();
    expect(r).toMatchObject({ Status: 'RollbackSuccessful', StatusReason: expect.stringMatching(/requested by the user/), RollbackDetails: { RollbackReason: expect.stringMatching(/user/) } });
    expect(await states()).toEqual(['InService:1', 'InService:1']);
    expect(account.asg('ng-a')).toMatchObject({ version: '1', imageId: OLD, refreshStatus: 'RollbackSuccessful' });
    expect(account.instances('ng-a').every((i) => i.imageId === OLD)).toBe(true);
  });

  it('rolls back on its own after an injected failure with AutoRollback, the rollback launches passing the hooks', async () => {
    const account = setup([{ kind: 'refreshFailure', asgName: 'ng-a', atPercent: 50, reason: 'Instances failed to pass health checks' }]);
    await ready({ HeartbeatTimeout: 30, DefaultResult: 'CONTINUE' });
    await start('ng-a', { MinHealthyPercentage: 50, AutoRollback: true });
    // Batch 1: wait at 4.5 min, timeout (CONTINUE) at 5 min, warm-up until 8.5 min; then the failure and the rollback.
    await at(30 * S + 8 * MIN);
    expect(await refresh()).toMatchObject({ Status: 'RollbackInProgress', StatusReason: 'Instances failed to pass health checks', RollbackDetails: { PercentageCompleteOnRollback: 50 } });
    // The rollback's launch (the old AMI, Fast Launch never enabled) is slow: it waits after its slow boot.
    await at(30 * S + 8 * MIN + SLOW_BOOT);
    expect(await states()).toEqual(['InService:1', 'InService:2', 'Pending:Wait:1']);
    await at(30 * S + 8 * MIN + SLOW_LAUNCH);
    expect(await refresh()).toMatchObject({ Status: 'RollbackSuccessful', PercentageComplete: 100, InstancesToUpdate: 0, EndTime: new Date(T0 + 30 * S + 8 * MIN + SLOW_LAUNCH) });
    expect(await states()).toEqual(['InService:1', 'InService:1']);
    expect(account.lifecycleActions().map((a) => a.by)).toEqual(['timeout', 'timeout']);
  });

  it('rolls a refresh without hooks back after the batch under way, with the old version', async () => {
    const account = setup();
    await start('ng-b');
    await at(30 * S + 10 * MIN);
    await run(asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: 'ng-b' })));
    expect(await refresh('ng-b')).toMatchObject({ Status: 'InProgress' });
    await expect(run(asg.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: 'ng-b' })))).rejects.toMatchObject({ name: 'ActiveInstanceRefreshNotFoundFault' });
    await at(30 * S + 16 * MIN);
    expect(await refresh('ng-b')).toMatchObject({ Status: 'RollbackInProgress', RollbackDetails: { PercentageCompleteOnRollback: 100 } });
    // Two rollback batches of one slow launch each (the old AMI's Fast Launch was never enabled).
    await at(30 * S + 16 * MIN + 2 * SLOW_LAUNCH - 1);
    expect(await refresh('ng-b')).toMatchObject({ Status: 'RollbackInProgress' });
    await at(30 * S + 16 * MIN + 2 * SLOW_LAUNCH);
    expect(await refresh('ng-b')).toMatchObject({ Status: 'RollbackSuccessful', StatusReason: expect.stringMatching(/requested by the user/) });
    expect(account.instances('ng-b').map((i) => [i.imageId, i.launchTemplateVersion])).toEqual([
      [OLD, '1'],
      [OLD, '1'],
    ]);
  });
});

describe('a group without our hooks', () => {
  it('keeps exactly the timeline of a refresh without lifecycle hooks (the foreign drain hook holds nothing)', async () => {
    const account = setup();
    const events: AutoScalingEvent[] = [];
    account.onEvent((e) => events.push(e));
    const before = account.instances('ng-b').map((i) => i.instanceId);
    await start('ng-b');
    await at(29 * S);
    expect(await refresh('ng-b')).toMatchObject({ Status: 'Pending' });
    await at(30 * S + 8 * MIN - 1);
    expect(await refresh('ng-b')).toMatchObject({ Status: 'InProgress', PercentageComplete: 0 });
    expect(await states('ng-b')).toEqual(['InService:1', 'InService:1']);
    await at(30 * S + 8 * MIN);
    expect(await refresh('ng-b')).toMatchObject({ Status: 'InProgress', PercentageComplete: 50 });
    await at(30 * S + 16 * MIN);
    expect(await refresh('ng-b')).toMatchObject({ Status: 'Successful', PercentageComplete: 100, EndTime: new Date(T0 + 30 * S + 16 * MIN) });
    expect(events).toEqual([]);
    expect(account.lifecycleActions()).toEqual([]);
    const history = account.instanceHistory().filter((h) => h.asgName === 'ng-b');
    expect(history.filter((h) => before.includes(h.instanceId)).map((h) => h.terminatedAt)).toEqual([new Date(T0 + 30 * S + 8 * MIN).toISOString(), new Date(T0 + 30 * S + 16 * MIN).toISOString()]);
    expect(history.filter((h) => !before.includes(h.instanceId)).map((h) => [h.launchedAt, h.bootedAt, h.lifecycleState, h.imageId])).toEqual([
      [new Date(T0 + 30 * S).toISOString(), new Date(T0 + 30 * S + 4 * MIN).toISOString(), 'InService', NEW],
      [new Date(T0 + 30 * S + 8 * MIN).toISOString(), new Date(T0 + 30 * S + 12 * MIN).toISOString(), 'InService', NEW],
    ]);
    expect(Date.parse(history[0]?.launchedAt ?? '')).toBeLessThan(T0);
  });
});
