import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand, type InstanceRefreshStatus } from '@aws-sdk/client-auto-scaling';
import { EC2Client, ModifyLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RolloutSchema, type Rollout } from '../../lib/config.js';
import { waveFailure } from '../../lib/notify/cause.js';
import { variantFailureNotice } from '../../lib/notify/failure.js';
import { CAUSE_BUDGET, checkWave, failureCause } from '../../lib/rollout/check-wave.js';
import { defaultsToSet } from '../../lib/rollout/default-version.js';
import type { GroupProgress, WaveProgress } from '../../lib/rollout/refresh.js';
import { REGION, RUN_ARN, START, variant } from '../notify/fixtures.js';

const asg = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const rollout = (over: Partial<Rollout> = {}): Rollout => ({ ...RolloutSchema.parse({}), ...over });
/** Step Functions' limit on a Fail state's Cause. */

const group = (asgName: string, over: Partial<GroupProgress> = {}): GroupProgress => ({
  asgName,
  launchTemplateId: `lt-${asgName}`,
  fromVersion: '7',
  toVersion: '8',
  state: 'refreshing',
  refreshId: `r-${asgName}`,
  status: 'InProgress',
  percent: 40,
  reason: null,
  busyAttempts: 0,
  ...over,
});
const wave = (groups: GroupProgress[]): WaveProgress => ({ status: 'InProgress', startedAt: new Date(Date.now() - 600_000).toISOString(), groups, waitSeconds: 60, percent: 40 });
const request = (progress: WaveProgress) => ({ run: { executionName: 'monthly-2026-11', startTime: START, reason: '' }, variant, progress, index: 1, executionArn: RUN_ARN, region: REGION, store: { bucket: 'run-state', prefix: 'runs/monthly-2026-11/win2022/' } });

/** Auto Scaling reports each named group's refresh with this status (and reason). */
function refreshes(byAsg: Record<string, [InstanceRefreshStatus, string?]>) {
  for (const [name, [Status, StatusReason]] of Object.entries(byAsg))
    asg.on(DescribeInstanceRefreshesCommand, { AutoScalingGroupName: name }).resolves({ InstanceRefreshes: [{ InstanceRefreshId: `r-${name}`, Status, StatusReason, PercentageComplete: 100 }] });
}

/** Each named group's instances: `old` of them still on version 7, the rest on 8. */
function instances(byAsg: Record<string, { total: number; old: number }>) {
  asg.on(DescribeAutoScalingGroupsCommand).callsFake((input: { AutoScalingGroupNames?: string[] }) => ({
    AutoScalingGroups: (input.AutoScalingGroupNames ?? []).map((name) => {
      const { total, old } = byAsg[name] ?? { total: 0, old: 0 };
      return {
        AutoScalingGroupName: name,
        LaunchTemplate: { LaunchTemplateId: `lt-${name}`, Version: '8' },
        Instances: Array.from({ length: total }, (_, n) => ({ InstanceId: `i-${name}-${n}`, LifecycleState: 'InService', LaunchTemplate: { LaunchTemplateId: `lt-${name}`, Version: n < old ? '7' : '8' } })),
      };
    }),
  }));
}

beforeEach(() => {
  asg.reset();
  ec2.reset();
  ec2.on(ModifyLaunchTemplateCommand).resolves({});
  // The first check of a wave reads the group sizes that size its deadline; a patched group's instances are read too.
  instances({});
});

describe('judging patched from the instances', () => {
  it('reports a Successful refresh that left instances on the old version as partial, by instance id', async () => {
    refreshes({ 'ng-a': ['Successful'], 'ng-b': ['Successful'] });
    instances({ 'ng-a': { total: 4, old: 2 } });

    const out = await checkWave(request(wave([group('ng-a'), group('ng-b')])), rollout());

    expect(out.groups.map((g) => [g.asgName, g.state])).toEqual([['ng-a', 'partial'], ['ng-b', 'patched']]);
    expect(out.groups[0]?.oldInstances).toEqual(['i-ng-a-0', 'i-ng-a-1']);
    expect(out.notice?.message).toMatch(/ng-a: NOT fully patched.*i-ng-a-0, i-ng-a-1/);
    expect(out.notice?.subject).toContain('1 PARTLY');
    expect(out.outcome?.[0]?.reason).toContain('i-ng-a-0, i-ng-a-1');
    expect(out.groups[0]?.noneMoved).toBeUndefined();
  });

  it('marks a patched group with no instance in service on the new version: none at all, or the new one still Pending', async () => {
    refreshes({ 'ng-empty': ['Successful'], 'ng-pending': ['Successful'], 'ng-a': ['Successful'] });
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        { AutoScalingGroupName: 'ng-empty', LaunchTemplate: { LaunchTemplateId: 'lt-ng-empty', Version: '8' }, Instances: [] },
        { AutoScalingGroupName: 'ng-pending', LaunchTemplate: { LaunchTemplateId: 'lt-ng-pending', Version: '8' }, Instances: [{ InstanceId: 'i-p', LifecycleState: 'Pending', LaunchTemplate: { LaunchTemplateId: 'lt-ng-pending', Version: '8' } }] },
        { AutoScalingGroupName: 'ng-a', LaunchTemplate: { LaunchTemplateId: 'lt-ng-a', Version: '8' }, Instances: [{ InstanceId: 'i-a', LifecycleState: 'InService', LaunchTemplate: { LaunchTemplateId: 'lt-ng-a', Version: '8' } }] },
      ],
    } as never);

    const out = await checkWave(request(wave([group('ng-empty'), group('ng-pending'), group('ng-a')])), rollout());

    expect(out.groups.map((g) => [g.asgName, g.state, g.noneMoved])).toEqual([
      ['ng-empty', 'patched', true],
      ['ng-pending', 'patched', true],
      ['ng-a', 'patched', undefined],
    ]);
  });

  it('marks a partial group with no instance on the new version: it proves nothing of the AMI', async () => {
    refreshes({ 'ng-a': ['Successful'] });
    instances({ 'ng-a': { total: 2, old: 2 } });

    const out = await checkWave(request(wave([group('ng-a')])), rollout());

    expect(out.groups[0]).toMatchObject({ state: 'partial', noneMoved: true, oldInstances: ['i-ng-a-0', 'i-ng-a-1'] });
    expect(out.groups[0]?.reason).toContain('refresh ended Successful but all 2 of its instance(s) still run the old AMI');
  });
});
afterEach(() => {
  asg.reset();
  ec2.reset();
});

describe('the report of a failed wave (the Cause of RolloutWaveFailed)', () => {
  const longReason = (i: number) => `Instances failed to pass health checks: ${'i-0123456789abcdef0 did not become healthy within the warmup; '.repeat(20)}#${i}`;

  it('stays within its budget for a 200-group wave with long reasons, and still names every group', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `eks-win2022-core-131-apps-${String(i).padStart(4, '0')}`);
    refreshes(Object.fromEntries(names.map((n, i) => [n, ['RollbackSuccessful', longReason(i)]])));

    const checked = await checkWave(request(wave(names.map((n) => group(n)))), rollout());

    expect(checked.status).toBe('Failed');
    const cause = checked.failure as string;
    expect(Buffer.byteLength(cause)).toBeLessThanOrEqual(CAUSE_BUDGET);
    const report = waveFailure({ Error: 'RolloutWaveFailed', Cause: cause });
    expect(report?.groups.map((g) => [g.asgName, g.state, g.fromVersion])).toEqual(names.map((n) => [n, 'rolledBack', '7']));
    expect(report?.groups.every((g) => (g.reason ?? '').length <= 200)).toBe(true);
    const notice = variantFailureNotice({ ...request(wave([])), error: { Error: 'RolloutWaveFailed', Cause: cause }, stage: 'rollout', amiId: 'ami-0c2022c0000000042', checkedWaves: 1, versionsNow: new Map() });
    for (const n of names) expect(notice.message).toContain(`  ${n}: rolled back to launch template version 7`);
  });

  it('keeps per group only what the failure e-mail needs, the reason cut to 200 characters', () => {
    const cause = failureCause(0, [group('ng-a', { state: 'rolledBack', status: 'RollbackSuccessful', reason: longReason(1) }), group('ng-b', { state: 'patched', status: 'Successful' })]);

    const report = JSON.parse(cause) as { waveIndex: number; groups: Record<string, unknown>[] };
    expect(report.waveIndex).toBe(0);
    expect(report.groups[0]).toEqual({ asgName: 'ng-a', state: 'rolledBack', fromVersion: '7', toVersion: '8', status: 'RollbackSuccessful', reason: `${longReason(1).slice(0, 199)}…` });
    expect(report.groups[1]).toEqual({ asgName: 'ng-b', state: 'patched', fromVersion: '7', toVersion: '8', status: 'Successful', reason: null });
  });

  it('falls back to a plain-text summary when even bare group names would not fit', () => {
    const groups = Array.from({ length: 300 }, (_, i) => group(`${'x'.repeat(250)}-${String(i).padStart(3, '0')}`, { state: 'rolledBack', status: 'RollbackSuccessful', reason: 'health checks' }));

    const cause = failureCause(2, groups);

    expect(Buffer.byteLength(cause)).toBeLessThanOrEqual(CAUSE_BUDGET);
    expect(cause).toMatch(/^wave 3 failed: 300 of 300 node group\(s\) failed or rolled back: x{250}-000, /);
    expect(waveFailure({ Error: 'RolloutWaveFailed', Cause: cause })).toBeUndefined();
  });
});

describe('the default launch template version (rollout.setDefaultVersion)', () => {
  it('is set to the new version only once the group refresh is Successful, once per launch template', async () => {
    const shared = { launchTemplateId: 'lt-shared' };
    refreshes({ 'ng-a': ['Successful'], 'ng-b': ['Successful'], 'ng-c': ['RollbackSuccessful', 'health checks'], 'ng-d': ['InProgress'] });

    const checked = await checkWave(request(wave([group('ng-a', shared), group('ng-b', shared), group('ng-c'), group('ng-d')])), rollout({ setDefaultVersion: true }));

    expect(checked.groups.map((g) => g.state)).toEqual(['patched', 'patched', 'rolledBack', 'refreshing']);
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand).map((c) => c.args[0].input)).toEqual([{ LaunchTemplateId: 'lt-shared', DefaultVersion: '8' }]);
  });

  it('is not set again on later polls, nor at all unless configured', async () => {
    refreshes({ 'ng-a': ['Successful'], 'ng-b': ['Successful'] });
    const progress = wave([group('ng-a', { state: 'patched', status: 'Successful', refreshId: null }), group('ng-b')]);

    await checkWave(request(progress), rollout({ setDefaultVersion: false }));
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand)).toHaveLength(0);

    await checkWave(request(progress), rollout({ setDefaultVersion: true }));
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand).map((c) => c.args[0].input.LaunchTemplateId)).toEqual(['lt-ng-b']);
  });

  it('is reported on the group, without failing the wave, when EC2 refuses it', async () => {
    refreshes({ 'ng-a': ['Successful'] });
    ec2.on(ModifyLaunchTemplateCommand).rejects(Object.assign(new Error('not authorized'), { name: 'UnauthorizedOperation' }));

    const checked = await checkWave(request(wave([group('ng-a')])), rollout({ setDefaultVersion: true }));

    expect(checked.status).toBe('Successful');
    expect(checked.groups[0]?.reason).toBe('could not make version 8 the default of lt-ng-a (UnauthorizedOperation: not authorized)');
    expect(checked.notice?.message).toContain('ng-a: on the new AMI (launch template version 8) - could not make version 8 the default');
  });

  it('never moves back below a version an earlier poll of the wave made the default', () => {
    const before = [group('ng-a', { launchTemplateId: 'lt-1', toVersion: '9', state: 'patched' }), group('ng-b', { launchTemplateId: 'lt-1', toVersion: '8' }), group('ng-c', { launchTemplateId: 'lt-2', toVersion: '4' })];
    const after = before.map((g) => ({ ...g, state: 'patched' as const }));

    expect(defaultsToSet(before, after)).toEqual([{ launchTemplateId: 'lt-2', version: '4' }]);
  });
});

describe('queued groups near the deadline (a wave with a limit)', () => {
  it('start no more once the wave is past its startBy: the wave fails when nothing runs, saying why', async () => {
    refreshes({ a: ['Successful'] });
    instances({ a: { total: 2, old: 0 } });
    const late = new Date(Date.now() - 1000).toISOString();
    const deadline = new Date(Date.now() + 3_600_000).toISOString();
    const progress = { ...wave([group('a'), group('b', { state: 'queued', refreshId: null, status: null })]), limit: { groups: 1, inFlight: 10 }, deadline, startBy: late, readAt: late, unreadPolls: 0, pollError: null };

    const out = await checkWave(request(progress), rollout());

    expect(out.status).toBe('Failed');
    expect(out.groups.map((g) => [g.asgName, g.state])).toEqual([
      ['a', 'patched'],
      ['b', 'queued'],
    ]);
    expect(waveFailure({ Error: 'RolloutWaveFailed', Cause: out.failure ?? '' })?.cause).toMatch(/^queued groups not started: too close to the wave's deadline/);
  });

  it('still start before it: the room the finished group freed goes to the queued one', async () => {
    refreshes({ a: ['Successful'] });
    instances({ a: { total: 2, old: 0 } });
    asg.on(StartInstanceRefreshCommand).resolves({ InstanceRefreshId: 'r-b' });
    const soon = new Date(Date.now() + 600_000).toISOString();
    const progress = { ...wave([group('a'), group('b', { state: 'queued', refreshId: null, status: null })]), limit: { groups: 1, inFlight: 10 }, deadline: soon, startBy: soon, readAt: soon, unreadPolls: 0, pollError: null };

    const out = await checkWave(request(progress), rollout());

    expect(out.status).toBe('InProgress');
    expect(out.groups.map((g) => [g.asgName, g.state])).toEqual([
      ['a', 'patched'],
      ['b', 'refreshing'],
    ]);
  });
});

describe('a wave beside others in its round (the parts of one sized wave, each in its own state)', () => {
  const beside = { ...variant, rounds: [[0], [1, 2]] };
  const inRound = (progress: WaveProgress & { round?: { stop: { wentWrong?: string } } }) => ({ ...request(progress), variant: beside });
  const clock = () => ({ deadline: new Date(Date.now() + 3_600_000).toISOString(), readAt: new Date().toISOString(), unreadPolls: 0, pollError: null });

  it('tells its round what went wrong in it on every check while it does, and a wave alone in its round does not', async () => {
    asg.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r-a', Status: 'RollbackInProgress', PercentageComplete: 0 }] });
    const progress = { ...wave([group('a'), group('b', { state: 'queued', refreshId: null, status: null })]), limit: { groups: 1, inFlight: 10 }, ...clock() };

    const out = await checkWave(inRound(progress), rollout());
    const again = await checkWave(inRound({ ...out, waitSeconds: 60 }), rollout());
    const alone = await checkWave(request(progress), rollout());

    expect(out.status).toBe('InProgress');
    expect(out.stopRound).toEqual({ wentWrong: 'wave 2: a is RollbackInProgress' });
    expect(again.stopRound).toEqual({ wentWrong: 'wave 2: a is RollbackInProgress' });
    // Stopped: it has nothing more to start, so it does not read the round.
    expect(out.watchRound).toBe(false);
    expect(alone.stopRound).toBeNull();
  });

  it('reads its round before each check only while it has groups to start', async () => {
    refreshes({ a: ['InProgress'] });
    const waiting = { ...wave([group('a'), group('b', { state: 'queued', refreshId: null, status: null })]), limit: { groups: 1, inFlight: 10 }, round: { stop: {} }, ...clock() };

    const out = await checkWave(inRound(waiting), rollout());
    const allStarted = await checkWave(inRound({ ...wave([group('a')]), ...clock() }), rollout());

    expect(out.groups.map((g) => g.state)).toEqual(['refreshing', 'queued']);
    expect(out.watchRound).toBe(true);
    expect(out.stopRound).toBeNull();
    expect(allStarted.watchRound).toBe(false);
    expect((await checkWave(request(waiting), rollout())).watchRound).toBe(false);
  });

  it('starts nothing more once a wave beside it went wrong, and fails once nothing runs, saying which', async () => {
    refreshes({ a: ['Successful'] });
    instances({ a: { total: 2, old: 0 } });
    asg.on(StartInstanceRefreshCommand).resolves({ InstanceRefreshId: 'r-b' });
    const progress = { ...wave([group('a'), group('b', { state: 'queued', refreshId: null, status: null })]), limit: { groups: 1, inFlight: 10 }, round: { stop: { wentWrong: 'wave 3: ng-x rolled back' } }, ...clock() };

    const out = await checkWave(inRound(progress), rollout());

    expect(asg.commandCalls(StartInstanceRefreshCommand)).toHaveLength(0);
    expect(out.status).toBe('Failed');
    expect(out.groups.map((g) => [g.asgName, g.state])).toEqual([
      ['a', 'patched'],
      ['b', 'queued'],
    ]);
    expect(out.stopRound).toBeNull();
    const report = waveFailure({ Error: 'RolloutWaveFailed', Cause: out.failure ?? '' });
    expect(report?.cause).toBe('queued groups not started: the wave starts nothing more: a wave beside it in its round went wrong (wave 3: ng-x rolled back)');
    // The e-mail counts the groups it never started as untouched, with the later waves'.
    const later = { ...variant, waves: [...variant.waves, [{ ...(variant.waves[1]?.[0] as (typeof variant.waves)[number][number]), asgName: 'ng-later' }]] };
    const notice = variantFailureNotice({ run: request(progress).run, variant: later, executionArn: RUN_ARN, region: REGION, error: { Error: 'RolloutWaveFailed', Cause: out.failure ?? '' }, stage: 'rollout', amiId: 'ami-new', checkedWaves: 1, versionsNow: new Map() });
    expect(notice.subject).toMatch(/, 2 untouched$/);
    expect(notice.message).toContain('  b: not started - the wave starts nothing more: a wave beside it in its round went wrong (wave 3: ng-x rolled back)');
    expect(notice.message).toContain('  never touched (2): ng-later, and the 1 not started above');
  });
});
