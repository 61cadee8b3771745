import { AutoScalingClient, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeUpdateCommand, EKSClient, UpdateNodegroupVersionCommand } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RolloutSchema, type Rollout } from '../../lib/config.js';
import { stopReason } from '../../lib/rollout/admission.js';
import { startWaiting, startWave, type GroupProgress, type WaveProgress } from '../../lib/rollout/refresh.js';

/**
 * What a wave starts after a check's verdicts (refresh.ts startWaiting) and when a wave starts beside carried groups
 * (startWave): never anything once something went wrong, and a start AWS could not answer waits for the next check.
 */
const asg = mockClient(AutoScalingClient);
const eks = mockClient(EKSClient);
const rollout = (over: Partial<Rollout> = {}): Rollout => ({ ...RolloutSchema.parse({}), ...over });
const group = (asgName: string, state: GroupProgress['state'], over: Partial<GroupProgress> = {}): GroupProgress => ({
  asgName,
  launchTemplateId: 'lt-0123456789abcdef0',
  fromVersion: '7',
  toVersion: '8',
  load: { inFlight: 1, extra: 1 },
  state,
  refreshId: state === 'refreshing' ? `r-${asgName}` : null,
  status: state === 'refreshing' ? 'InProgress' : null,
  percent: 0,
  reason: null,
  busyAttempts: 0,
  ...over,
});
const wave = (groups: GroupProgress[], over: Partial<WaveProgress> = {}): WaveProgress => ({
  status: 'InProgress',
  startedAt: new Date().toISOString(),
  groups,
  waitSeconds: 60,
  percent: 0,
  limit: { groups: 10, inFlight: 10, extra: 10 },
  ...over,
});
const throttled = () => Object.assign(new Error('Rate exceeded (simulated)'), { name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 } });
const started = () => asg.commandCalls(StartInstanceRefreshCommand).map((c) => c.args[0].input.AutoScalingGroupName);

beforeEach(() => {
  asg.reset();
  eks.reset();
  asg.on(StartInstanceRefreshCommand).resolves({ InstanceRefreshId: 'r-new' });
  asg.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
});
afterEach(() => {
  asg.reset();
  vi.restoreAllMocks();
});

describe('groups waiting to start', () => {
  it('start while all is well: queued ones as the limit allows, busy ones on their retry', async () => {
    const out = await startWaiting(wave([group('a', 'refreshing'), group('b', 'queued'), group('c', 'busy')]), rollout());
    expect(started().sort()).toEqual(['b', 'c']);
    expect(out.groups.map((g) => g.state)).toEqual(['refreshing', 'refreshing', 'refreshing']);
  });

  for (const [what, bad] of [
    ['a group failed', group('a', 'failed')],
    ['a group rolled back', group('a', 'rolledBack')],
    ['a refresh is rolling back', group('a', 'refreshing', { status: 'RollbackInProgress' })],
    ['a refresh is being cancelled', group('a', 'refreshing', { status: 'Cancelling' })],
  ] as const) {
    it(`start nothing once ${what}: queued and busy groups stay unstarted, and the wave fails once nothing runs`, async () => {
      const out = await startWaiting(wave([bad, group('b', 'queued'), group('c', 'busy')]), rollout());
      expect(started()).toEqual([]);
      expect(out.groups.slice(1).map((g) => [g.state, g.reason])).toEqual([
        ['queued', stopReason([bad])],
        ['queued', stopReason([bad])],
      ]);
      expect(out.stopped).toBe(stopReason([bad]));
      const settled = { ...bad, state: bad.state === 'refreshing' ? ('rolledBack' as const) : bad.state };
      expect((await startWaiting({ ...out, groups: [settled, ...out.groups.slice(1)] }, rollout())).status).toBe('Failed');
    });
  }

  it('start nothing when the caller stops the wave (its deadline too close), and the wave fails once nothing runs', async () => {
    const out = await startWaiting(wave([group('a', 'refreshing'), group('b', 'queued')]), rollout(), undefined, 'too close to the deadline');
    expect(started()).toEqual([]);
    expect(out).toMatchObject({ status: 'InProgress', stopped: 'too close to the deadline' });
    const done = await startWaiting({ ...out, groups: [group('a', 'patched'), ...out.groups.slice(1)] }, rollout());
    expect(done.status).toBe('Failed');
    expect(started()).toEqual([]);
  });

  it('keep a group whose start AWS could not answer waiting for the next check, and the starts that went through', async () => {
    // Throttled past every retry, and so is the look for a start that went through with its answer lost: unknown, so
    // neither started nor failed; the next check tries again (and adopts the refresh if it did start).
    vi.spyOn(Math, 'random').mockReturnValue(0);
    asg.on(StartInstanceRefreshCommand, { AutoScalingGroupName: 'c' }).rejects(throttled());
    asg.on(DescribeInstanceRefreshesCommand, { AutoScalingGroupName: 'c' }).rejects(throttled());
    const out = await startWaiting(wave([group('b', 'queued'), group('c', 'queued')]), rollout());
    expect(out.groups.map((g) => [g.asgName, g.state])).toEqual([
      ['b', 'refreshing'],
      ['c', 'queued'],
    ]);
    expect(out.status).toBe('InProgress');
  });
});

describe('a wave starting beside the groups the wave before carried', () => {
  it('looks at them first and starts none of its own when one is rolling back, keeping their last checked states', async () => {
    asg.on(DescribeInstanceRefreshesCommand, { AutoScalingGroupName: 'carried' }).resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r-carried', Status: 'RollbackInProgress', PercentageComplete: 0 }] });
    const carried = group('carried', 'refreshing', { carried: true });
    const out = await startWave([{ asgName: 'mine', launchTemplateId: 'lt-0123456789abcdef0', fromVersion: '7', toVersion: '8' }], rollout(), undefined, undefined, [carried]);
    expect(started()).toEqual([]);
    expect(out.groups).toMatchObject([{ asgName: 'mine', state: 'queued' }]);
    expect(out.stopped).toMatch(/carried is RollbackInProgress/);
  });

  it('reads a carried managed node group from EKS: a failed or cancelled update starts nothing, a successful or running one does', async () => {
    const managed = group('eks-web-asg', 'refreshing', { carried: true, refreshId: 'u-web', managed: { cluster: 'prod', nodegroup: 'web' } });
    const mine = { asgName: 'mine', launchTemplateId: 'lt-0123456789abcdef0', fromVersion: '7', toVersion: '8' };
    for (const [status, starts] of [['Failed', false], ['Cancelled', false], ['Successful', true], ['InProgress', true]] as const) {
      asg.resetHistory();
      eks.reset();
      eks.on(DescribeUpdateCommand, { name: 'prod', nodegroupName: 'web', updateId: 'u-web' }).resolves({ update: { id: 'u-web', status } });
      const out = await startWave([mine], rollout(), undefined, undefined, [managed]);
      expect(started(), status).toEqual(starts ? ['mine'] : []);
      expect(out.stopped, status).toEqual(starts ? undefined : `the wave starts nothing more: eks-web-asg failed`);
      // Read only: the wave's first check judges the group (and starts the update back).
      expect(eks.commandCalls(UpdateNodegroupVersionCommand), status).toEqual([]);
    }
  });

  it('starts its groups when the carried ones still go forward', async () => {
    asg.on(DescribeInstanceRefreshesCommand, { AutoScalingGroupName: 'carried' }).resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'r-carried', Status: 'InProgress', PercentageComplete: 40 }] });
    const out = await startWave([{ asgName: 'mine', launchTemplateId: 'lt-0123456789abcdef0', fromVersion: '7', toVersion: '8' }], rollout(), undefined, undefined, [group('carried', 'refreshing', { carried: true })]);
    expect(started()).toEqual(['mine']);
    expect(out.stopped).toBeUndefined();
  });
});
