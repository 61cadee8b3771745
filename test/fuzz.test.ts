import { describe, expect, it } from 'vitest';
import { fuzz, fuzzOne } from '../bench/fuzz.js';
import { rehearseFleet } from './support/rehearse.js';

/**
 * A bounded slice of `npm run fuzz`: a few dozen seeded rehearsals under random fault mixes
 * (throttling with windows and services, lost answers, refresh, build and Fast Launch failures, someone else's refresh).
 * SNS is throttled too: notices retry for minutes, and the stack's alarm announces a run whose notices never got through.
 */
describe('seeded fuzzing (slice)', () => {
  it('finds no refresh unwatched, failure unannounced, group between AMIs unnamed or doubled resource in 24 seeds', async () => {
    const result = await fuzz({ from: 1, runs: 24, seconds: 3600 });

    expect(result.runs).toBe(24);
    expect(result.failedRuns).toBeGreaterThan(0);
    expect(result.violations).toEqual([]);
  }, 300_000);

  it('announces a run whose every notice SNS refused through the stack alarm (seed 327: all calls throttled at 89 %)', async () => {
    const one = await fuzzOne(327);

    expect(one.report?.status).toBe('FAILED');
    expect(one.report?.notifications.some((n) => n.topicArn.endsWith('-AlarmTopic'))).toBe(true);
    expect(one.violations).toEqual([]);
  });

  // Found by seed 158 (commit ef6e792); pinned here without the fuzzer's draws, which any new AWS call in a run shifts
  // (the AMI parameter's reads moved seed 158 onto another path): the start's answer is lost, every retry is throttled.
  it('watches the refresh whose start answer was lost before throttling ate every retry (seed 158, pinned)', async () => {
    let draws = 0;
    // Throttle draws are made only for StartInstanceRefresh (the one throttle fault): the first start goes through (its
    // answer is lost), the next ten are throttled, every later one passes.
    const random = () => (++draws === 1 || draws > 11 ? 0.9 : 0.1);
    const report = await rehearseFleet(
      {
        nodeGroups: 1,
        variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }],
        faults: [
          { kind: 'lostResponse', operation: 'StartInstanceRefresh', times: 1, skip: 0 },
          { kind: 'throttle', rate: 0.5, operations: ['StartInstanceRefresh'] },
        ],
      },
      { random },
    );

    const starts = report.calls.filter((c) => c.operation === 'StartInstanceRefresh').map((c) => c.error);
    expect(starts[0]).toBe('ECONNRESET');
    expect(starts.slice(1).every((e) => e === 'Throttling')).toBe(true);
    expect(starts.length).toBeGreaterThan(5);
    // The start gave up, and the function looked the refresh up before calling it not started.
    const own = report.calls.filter((c) => c.fn === 'startInstanceRefreshes').map((c) => c.operation);
    expect(own.slice(own.lastIndexOf('StartInstanceRefresh') + 1)).toContain('DescribeInstanceRefreshes');
    const refreshes = (report.account.snapshot() as { refreshes: { asgName: string }[] }).refreshes;
    expect(refreshes.filter((r) => r.asgName === 'ng-win2022-core-131-0000')).toHaveLength(1);
    expect(report.status).toBe('SUCCEEDED');
  }, 120_000);
});
