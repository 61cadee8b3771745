import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  DescribeInstanceRefreshesCommand,
  StartInstanceRefreshCommand,
  type InstanceRefreshStatus,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RolloutSchema, type Rollout } from '../../lib/config.js';
import type { WaveTarget } from '../../lib/rollout/launch-templates.js';
import { groupStateFor, pollWave, refreshPreferences, startWaiting, startWave, summarize, type GroupProgress, type WaveProgress } from '../../lib/rollout/refresh.js';

const asg = mockClient(AutoScalingClient);
const rollout = (over: Partial<Rollout> = {}): Rollout => ({ ...RolloutSchema.parse({}), ...over });
const target = (asgName: string, toVersion: string | null = '8'): WaveTarget => ({ asgName, launchTemplateId: 'lt-0123456789abcdef0', fromVersion: '7', toVersion });

/** What a wave check does with the refreshes (check-wave.ts, without the instances' and the cluster's verdicts): poll, then start what waits. */
const check = async (wave: WaveProgress, r: Rollout) => startWaiting(await pollWave(wave, r), r);

function awsError(name: string): Error {
  return Object.assign(new Error(`${name} (simulated)`), { name, $fault: 'client' });
}

beforeEach(() => {
  asg.reset();
  asg.on(StartInstanceRefreshCommand).resolves({ InstanceRefreshId: 'r-1' });
});
afterEach(() => {
  asg.reset();
  vi.useRealTimers();
});

describe('starting instance refreshes', () => {
  it('launches before it terminates by default and leaves InstanceWarmup to the group', async () => {
    const wave = await startWave([target('ng-a')], rollout());

    const calls = asg.commandCalls(StartInstanceRefreshCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      {
        AutoScalingGroupName: 'ng-a',
        Strategy: 'Rolling',
        DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '8' } },
        Preferences: {
          MinHealthyPercentage: 100,
          MaxHealthyPercentage: 110,
          SkipMatching: true,
          AutoRollback: true,
          ScaleInProtectedInstances: 'Ignore',
          StandbyInstances: 'Ignore',
        },
      },
    ]);
    expect(wave.status).toBe('InProgress');
    expect(wave.groups[0]).toMatchObject({ state: 'refreshing', refreshId: 'r-1' });
  });

  it('names the new version inside the MixedInstancesPolicy of a mixed-instances group', async () => {
    await startWave([{ ...target('ng-a'), mixed: true }], rollout());

    expect(asg.commandCalls(StartInstanceRefreshCommand)[0]?.args[0].input.DesiredConfiguration).toEqual({
      MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '8' } } },
    });
  });

  it('sends a mixed group its whole MixedInstancesPolicy back with only the version changed', async () => {
    const mixedPolicy = {
      LaunchTemplate: {
        LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '7' },
        Overrides: [{ InstanceType: 'm6i.xlarge' }, { InstanceType: 'm6a.xlarge', LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '7' } }],
      },
      InstancesDistribution: { OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 25, SpotAllocationStrategy: 'price-capacity-optimized' },
    };
    await startWave([{ ...target('ng-a'), mixed: true, mixedPolicy }], rollout());

    const spec = { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '8' };
    expect(asg.commandCalls(StartInstanceRefreshCommand)[0]?.args[0].input.DesiredConfiguration).toEqual({
      MixedInstancesPolicy: {
        LaunchTemplate: { LaunchTemplateSpecification: spec, Overrides: [{ InstanceType: 'm6i.xlarge' }, { InstanceType: 'm6a.xlarge', LaunchTemplateSpecification: spec }] },
        InstancesDistribution: { OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 25, SpotAllocationStrategy: 'price-capacity-optimized' },
      },
    });
  });

  it('adds checkpoints, bake time, alarms and max healthy only when configured', () => {
    const prefs = refreshPreferences(
      rollout({ minHealthyPercentage: 75, maxHealthyPercentage: 150, instanceWarmupSeconds: 600, checkpointPercentages: [20, 100], bakeTimeSeconds: 900, alarms: ['node-errors'], scaleInProtectedInstances: 'Refresh', standbyInstances: 'Terminate' }),
    );

    expect(prefs).toEqual({
      MinHealthyPercentage: 75,
      MaxHealthyPercentage: 150,
      InstanceWarmup: 600,
      SkipMatching: true,
      AutoRollback: true,
      CheckpointPercentages: [20, 100],
      CheckpointDelay: 3600,
      BakeTime: 900,
      AlarmSpecification: { Alarms: ['node-errors'] },
      ScaleInProtectedInstances: 'Refresh',
      StandbyInstances: 'Terminate',
    });
  });

  it('does not refresh a group already on the AMI', async () => {
    const wave = await startWave([target('ng-a', null)], rollout());

    expect(asg.commandCalls(StartInstanceRefreshCommand)).toHaveLength(0);
    expect(wave).toMatchObject({ status: 'Successful', groups: [{ state: 'current' }] });
  });

  it('refreshes an allowed $Latest group without AutoRollback when AWS refuses the rollback', async () => {
    asg.on(StartInstanceRefreshCommand).rejectsOnce(awsError('IrreversibleInstanceRefreshFault')).resolves({ InstanceRefreshId: 'r-2' });

    const wave = await startWave([target('ng-a')], rollout({ allowUnpinnedVersions: true }));

    const prefs = asg.commandCalls(StartInstanceRefreshCommand).map((c) => c.args[0].input.Preferences?.AutoRollback);
    expect(prefs).toEqual([true, false]);
    expect(wave.groups[0]).toMatchObject({ state: 'refreshing', refreshId: 'r-2' });
  });

  it('fails the group on IrreversibleInstanceRefreshFault when unpinned versions are not allowed', async () => {
    asg.on(StartInstanceRefreshCommand).rejects(awsError('IrreversibleInstanceRefreshFault'));

    const wave = await startWave([target('ng-a')], rollout());

    expect(asg.commandCalls(StartInstanceRefreshCommand)).toHaveLength(1);
    expect(wave.status).toBe('Failed');
    expect(wave.groups[0]).toMatchObject({ state: 'failed', refreshId: null, reason: 'IrreversibleInstanceRefreshFault: IrreversibleInstanceRefreshFault (simulated)' });
  });

  it('fails only the group AWS refused, and keeps watching the refreshes that did start', async () => {
    asg.on(StartInstanceRefreshCommand, { AutoScalingGroupName: 'ng-b' }).rejects(awsError('ValidationError'));
    asg.on(DescribeInstanceRefreshesCommand, { AutoScalingGroupName: 'ng-a' }).resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r-1', Status: 'InProgress', PercentageComplete: 40 }] });
    asg.on(DescribeInstanceRefreshesCommand, { AutoScalingGroupName: 'ng-c' }).resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r-1', Status: 'Successful', PercentageComplete: 100 }] });

    const started = await startWave([target('ng-a'), target('ng-b'), target('ng-c')], rollout());
    const midway = await check(started, rollout());
    asg.on(DescribeInstanceRefreshesCommand, { AutoScalingGroupName: 'ng-a' }).resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r-1', Status: 'Successful', PercentageComplete: 100 }] });
    const done = await check(midway, rollout());

    expect(asg.commandCalls(StartInstanceRefreshCommand)).toHaveLength(3);
    expect(started.groups.map((g) => [g.asgName, g.state])).toEqual([['ng-a', 'refreshing'], ['ng-b', 'failed'], ['ng-c', 'refreshing']]);
    expect(started.groups[1]?.reason).toBe('ValidationError: ValidationError (simulated)');
    expect(midway.status).toBe('InProgress');
    expect(done.status).toBe('Failed');
    expect(done.groups.map((g) => [g.asgName, g.state])).toEqual([['ng-a', 'patched'], ['ng-b', 'failed'], ['ng-c', 'patched']]);
  });
});

describe("someone else's instance refresh in the way", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    asg.on(DescribeInstanceRefreshesCommand, { MaxRecords: 1 }).resolves({
      InstanceRefreshes: [{ InstanceRefreshId: 'theirs', Status: 'InProgress', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: 'lt-other', Version: '3' } } }],
    });
  });

  it('waits and starts the refresh on a later poll once theirs is over, never cancelling it', async () => {
    asg.on(StartInstanceRefreshCommand).rejectsOnce(awsError('InstanceRefreshInProgressFault')).resolves({ InstanceRefreshId: 'ours' });

    const first = await startWave([target('ng-a')], rollout());
    const early = await check(first, rollout());
    vi.setSystemTime(Date.now() + first.waitSeconds * 1000);
    const second = await check(early, rollout());

    expect(first.groups[0]).toMatchObject({ state: 'busy', busyAttempts: 1, reason: 'waiting for another instance refresh on this group to finish' });
    expect(first.status).toBe('InProgress');
    expect(first.waitSeconds).toBe(300);
    // A check before the retry is due (other groups of the wave are polled more often) does not count as a try.
    expect(early.groups[0]).toMatchObject({ state: 'busy', busyAttempts: 1 });
    expect(second.groups[0]).toMatchObject({ state: 'refreshing', refreshId: 'ours' });
    expect(asg.commandCalls(CancelInstanceRefreshCommand)).toHaveLength(0);
  });

  it('skips the group with a warning after rollout.busyRetries retries', async () => {
    asg.on(StartInstanceRefreshCommand).rejects(awsError('InstanceRefreshInProgressFault'));
    const r = rollout({ busyRetries: 2 });

    let wave = await startWave([target('ng-a')], r);
    while (wave.status === 'InProgress') {
      vi.setSystemTime(Date.now() + wave.waitSeconds * 1000);
      wave = await check(wave, r);
    }

    expect(asg.commandCalls(StartInstanceRefreshCommand)).toHaveLength(3);
    expect(wave.status).toBe('Successful');
    expect(wave.groups[0]).toMatchObject({ state: 'skipped', reason: 'another instance refresh was still running after 3 attempts; left on version 7' });
    expect(asg.commandCalls(CancelInstanceRefreshCommand)).toHaveLength(0);
  });

  it('adopts its own refresh when a retried step finds it running', async () => {
    asg.on(StartInstanceRefreshCommand).rejects(awsError('InstanceRefreshInProgressFault'));
    asg.on(DescribeInstanceRefreshesCommand, { MaxRecords: 1 }).resolves({
      InstanceRefreshes: [{ InstanceRefreshId: 'ours-earlier', Status: 'InProgress', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: '8' } } }],
    });

    const wave = await startWave([target('ng-a')], rollout());

    expect(wave.groups[0]).toMatchObject({ state: 'refreshing', refreshId: 'ours-earlier', busyAttempts: 0 });
  });
});

describe('polling a wave', () => {
  const refreshing = async (...names: string[]) => startWave(names.map((n) => target(n)), rollout());
  const status = (byAsg: Record<string, string>) => {
    for (const [name, Status] of Object.entries(byAsg))
      asg.on(DescribeInstanceRefreshesCommand, { AutoScalingGroupName: name }).resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r-1', Status: Status as InstanceRefreshStatus, PercentageComplete: Status === 'Successful' ? 100 : 40, StatusReason: Status === 'RollbackSuccessful' ? 'Instances failed to pass health checks' : undefined }] });
  };

  it('asks for each group by its own refresh id', async () => {
    status({ 'ng-a': 'InProgress' });
    const wave = await check(await refreshing('ng-a'), rollout());

    expect(asg.commandCalls(DescribeInstanceRefreshesCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: 'ng-a', InstanceRefreshIds: ['r-1'] }]);
    expect(wave).toMatchObject({ status: 'InProgress', groups: [{ state: 'refreshing', percent: 40 }] });
    expect(wave.waitSeconds).toBeGreaterThanOrEqual(60);
  });

  it('is Successful when every group is patched', async () => {
    status({ 'ng-a': 'Successful', 'ng-b': 'Successful' });
    const wave = await check(await refreshing('ng-a', 'ng-b'), rollout());

    expect(wave).toMatchObject({ status: 'Successful', percent: 100, waitSeconds: 0 });
    expect(wave.groups.map((g) => g.state)).toEqual(['patched', 'patched']);
  });

  it('waits for the other groups of a wave, then fails when one rolled back', async () => {
    status({ 'ng-a': 'RollbackSuccessful', 'ng-b': 'InProgress' });
    const midway = await check(await refreshing('ng-a', 'ng-b'), rollout());
    status({ 'ng-b': 'Successful' });
    const done = await check(midway, rollout());

    expect(midway.status).toBe('InProgress');
    expect(done.status).toBe('Failed');
    expect(done.groups.map((g) => [g.asgName, g.state, g.reason])).toEqual([
      ['ng-a', 'rolledBack', 'Instances failed to pass health checks'],
      ['ng-b', 'patched', null],
    ]);
  });

  it.each([
    ['Successful', 'patched'],
    ['RollbackSuccessful', 'rolledBack'],
    ['Failed', 'failed'],
    ['Cancelled', 'failed'],
    ['RollbackFailed', 'failed'],
    ['RollbackInProgress', 'refreshing'],
    ['Baking', 'refreshing'],
    ['Pending', 'refreshing'],
  ])('reads status %s as %s', (s, state) => {
    expect(groupStateFor(s)).toBe(state);
  });
});

describe('the wait before the next check of a wave', () => {
  const tenMinutesAgo = () => new Date(Date.now() - 600_000).toISOString();
  const refreshing = (asgName: string, percent: number, over: Partial<GroupProgress> = {}): GroupProgress => ({
    ...target(asgName), state: 'refreshing', refreshId: 'r-1', status: 'InProgress', percent, reason: null, busyAttempts: 0, ...over,
  });

  it('is two minutes while no surge group shows progress yet (its one batch is most of its refresh)', () => {
    const wave = summarize(tenMinutesAgo(), [refreshing('ng-a', 0, { maxHealthyPercentage: 200 }), refreshing('ng-b', 0, { maxHealthyPercentage: 200 })], rollout({ instanceWarmupSeconds: 600 }));
    expect(wave.waitSeconds).toBe(120);
  });

  it('is the instance warm-up while no other group shows progress yet (five minutes without one)', () => {
    expect(summarize(tenMinutesAgo(), [refreshing('ng-a', 0)], rollout({ instanceWarmupSeconds: 600 })).waitSeconds).toBe(600);
    expect(summarize(tenMinutesAgo(), [refreshing('ng-a', 0)], rollout()).waitSeconds).toBe(300);
  });

  it('follows the groups that report progress, not a managed node group (EKS reports none)', () => {
    const managed = refreshing('eks-win-web', 0, { managed: { cluster: 'prod-eks', nodegroup: 'win-web' } });
    // 40 % after 10 minutes: 15 minutes to go, the check comes after 80 % of them.
    expect(summarize(tenMinutesAgo(), [managed, refreshing('ng-a', 40)], rollout()).waitSeconds).toBe(720);
    expect(summarize(tenMinutesAgo(), [managed], rollout()).waitSeconds).toBe(300);
  });
});
