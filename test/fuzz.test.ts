import { describe, expect, it } from 'vitest';
import { fuzz, fuzzOne } from '../bench/fuzz.js';

/**
 * A bounded slice of `npm run fuzz`: a few dozen seeded rehearsals under random fault mixes
 * (throttling with windows and services, lost answers, refresh, build and Fast Launch failures).
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

  it('watches the refresh whose start answer was lost before throttling ate every retry (seed 158)', async () => {
    const one = await fuzzOne(158);

    expect(one.fuzz.faults.map((f) => f.kind)).toEqual(['throttle', 'lostResponse', 'throttle']);
    expect(one.violations).toEqual([]);
    const refreshes = (one.report?.account.snapshot() as { refreshes: { asgName: string }[] }).refreshes;
    expect(refreshes.filter((r) => r.asgName === 'ng-win2022-core-131-0000')).toHaveLength(1);
    expect(one.report?.status).toBe('SUCCEEDED');
  }, 120_000);
});
