import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RolloutSchema, type Rollout } from '../../lib/config.js';
import { describeVariantFailure } from '../../lib/notify/failure.js';
import { noCanaryRan } from '../../lib/rollout/canary.js';
import { batchSize, expectedRefreshSeconds, LAUNCH_SECONDS, launchRateSeconds, unreadPollWaitSeconds, waveDeadlineSeconds } from '../../lib/rollout/deadline.js';
import { pollWave, type GroupProgress } from '../../lib/rollout/refresh.js';
import { REGION, RUN_ARN, START, variant } from '../notify/fixtures.js';

const rollout = (over: Partial<Rollout> = {}): Rollout => ({ ...RolloutSchema.parse({}), ...over });
const asg = mockClient(AutoScalingClient);
beforeEach(() => asg.reset());
afterEach(() => {
  asg.reset();
  vi.useRealTimers();
});

describe('the wave deadline (a pure function of the config and the group sizes)', () => {
  it('replaces 10 % of a group per batch at the default 90 % healthy, at least one instance', () => {
    expect(batchSize(2, rollout())).toBe(1);
    expect(batchSize(40, rollout())).toBe(4);
    expect(batchSize(40, rollout({ minHealthyPercentage: 100, maxHealthyPercentage: 150 }))).toBe(20);
  });

  it('derives the deadline from the slowest group: batches of launch and warm-up, checkpoint pauses, bake time', () => {
    const r = rollout({ instanceWarmupSeconds: 300, checkpointPercentages: [50, 100], checkpointDelaySeconds: 1200, bakeTimeSeconds: 600, busyRetries: 0 });
    // 20 instances, 2 per batch: 10 batches; one pause at 50 %; the bake time.
    expect(expectedRefreshSeconds(20, r)).toBe(120 + 10 * (LAUNCH_SECONDS + 300) + 1200 + 600);
    expect(waveDeadlineSeconds([2, 20, 4], r)).toBe(2 * expectedRefreshSeconds(20, r) + 1800);
  });

  it('adds the time a busy group may wait and the hour a Wait policy may hold a refresh', () => {
    const base = waveDeadlineSeconds([4], rollout({ busyRetries: 0 }));
    expect(waveDeadlineSeconds([4], rollout({ busyRetries: 6 }))).toBe(base + 2 * 6 * 300);
    expect(waveDeadlineSeconds([4], rollout({ busyRetries: 0, standbyInstances: 'Wait' }))).toBe(base + 2 * 3600);
  });

  it('uses rollout.waveTimeoutMinutes when the operator sets it, and never less than an hour otherwise', () => {
    expect(waveDeadlineSeconds([500], rollout({ waveTimeoutMinutes: 45 }))).toBe(45 * 60);
    expect(waveDeadlineSeconds([], rollout({ busyRetries: 0, instanceWarmupSeconds: 0 }))).toBeGreaterThanOrEqual(3600);
  });

  it('refuses a waveTimeoutMinutes under 10, naming the key', () => {
    expect(RolloutSchema.safeParse({ waveTimeoutMinutes: 5 }).error?.issues[0]?.path).toEqual(['waveTimeoutMinutes']);
  });

  it('waits longer after each check that could not read AWS, and never past the deadline', () => {
    const now = Date.parse('2026-11-15T10:00:00Z');
    const far = '2026-11-15T20:00:00Z';
    expect([1, 2, 3, 4, 5, 6].map((n) => unreadPollWaitSeconds(n, now, far))).toEqual([60, 120, 240, 480, 900, 900]);
    expect(unreadPollWaitSeconds(6, now, '2026-11-15T10:03:00Z')).toBe(181);
  });
});

describe('a refresh record AWS no longer returns', () => {
  it('counts as a failure with a reason, not as still refreshing', async () => {
    asg.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
    const g: GroupProgress = { asgName: 'ng-a', launchTemplateId: 'lt-1', fromVersion: '1', toVersion: '2', state: 'refreshing', refreshId: 'r-1', status: 'InProgress', percent: 30, reason: null, busyAttempts: 0 };

    const polled = await pollWave({ status: 'InProgress', startedAt: START, groups: [g], waitSeconds: 60, percent: 30 }, rollout());

    expect(asg.commandCalls(DescribeInstanceRefreshesCommand)[0]?.args[0].input).toEqual({ AutoScalingGroupName: 'ng-a', InstanceRefreshIds: ['r-1'] });
    expect(polled.status).toBe('Failed');
    expect(polled.groups[0]).toMatchObject({ state: 'failed', status: 'missing' });
    expect(polled.groups[0]?.reason).toContain('instance refresh r-1 is no longer returned by DescribeInstanceRefreshes');
  });
});

describe('the canary verdict', () => {
  it('stops the line when every canary was skipped or busy, and counts a canary already on the AMI as run', () => {
    expect(noCanaryRan(['c1', 'c2'], [{ asgName: 'c1', state: 'skipped' }, { asgName: 'c2', state: 'skipped' }])).toMatch(/^no canary ran: none of the 2 canary group\(s\) was patched \(c1 skipped, c2 skipped\)/);
    expect(noCanaryRan(['c1', 'c2'], [{ asgName: 'c1', state: 'skipped' }, { asgName: 'c2', state: 'patched' }])).toBeNull();
    expect(noCanaryRan(['c1'], [{ asgName: 'c1', state: 'current' }])).toBeNull();
    expect(noCanaryRan([], [{ asgName: 'a', state: 'skipped' }])).toBeNull();
  });
});

describe('a variant failure report that cannot read AWS', () => {
  it('still names every group of the plan with what the run last knew of it', async () => {
    vi.useFakeTimers();
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $fault: 'client' });
    asg.on(DescribeAutoScalingGroupsCommand).rejects(throttled);
    asg.on(DescribeInstanceRefreshesCommand).rejects(throttled);
    const state = {
      run: { executionName: 'monthly-2026-11', startTime: START, reason: '' },
      variant: { ...variant, stages: { build: false, fastLaunch: false, rollout: true } },
      image: { ready: true, amiId: 'ami-0c2022c0000000042' },
      error: { Error: 'Lambda.Unknown', Cause: 'the check Lambda failed' },
    };

    const pending = describeVariantFailure(state, RUN_ARN, REGION);
    await vi.runAllTimersAsync();
    const { notice } = await pending;

    expect(asg.commandCalls(DescribeAutoScalingGroupsCommand).length).toBeGreaterThan(1);
    for (const g of variant.waves.flat()) {
      const line = notice.message.split('\n').find((l) => l.startsWith(`  ${g.asgName}: `));
      expect(line, g.asgName).toContain('standing could not be read from AWS (Throttling: Rate exceeded)');
      expect(line).toContain(`in the plan it ran launch template version ${g.version} (${g.imageId})`);
    }
    expect(notice.variant).toBe('["win2022-core-131"]');
  });
});

describe('the launch-rate part of a wave deadline', () => {
  it('allows every instance past EC2 RunInstances burst of 1,000 one launch at 2 per second', () => {
    expect(launchRateSeconds([400, 600])).toBe(0);
    expect(launchRateSeconds([1000, 1200])).toBe(600);
  });

  it("allows every group's first batch past the RunInstances request bucket of 5 one call at 2 per second", () => {
    // 205 one-instance groups: 205 calls at once, far inside the 1,000-instance bucket, 200 past the request bucket.
    expect(launchRateSeconds(Array.from({ length: 205 }, () => 1))).toBe(100);
  });

  it('lengthens the deadline of a wave too large to launch at once', () => {
    const r = rollout({});
    expect(waveDeadlineSeconds([20, ...Array.from({ length: 150 }, () => 20)], r)).toBe(waveDeadlineSeconds([20], r) + 2 * ((151 * 20 - 1000) / 2));
  });
});
