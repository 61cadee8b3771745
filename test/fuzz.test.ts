import { describe, expect, it } from 'vitest';
import { fuzz } from '../bench/fuzz.js';

/**
 * A bounded slice of `npm run fuzz`: a few dozen seeded rehearsals under random fault mixes
 * (throttling with windows and services, lost answers, refresh, build and Fast Launch failures).
 * SNS is spared from throttling here until notification publishes retry over minutes (issue 9 item 20).
 */
describe('seeded fuzzing (slice)', () => {
  it('finds no refresh unwatched, failure unannounced, group between AMIs unnamed or doubled resource in 30 seeds', async () => {
    const result = await fuzz({ from: 1, runs: 30, seconds: 3600, spare: ['SNS'] });

    expect(result.runs).toBe(30);
    expect(result.failedRuns).toBeGreaterThan(0);
    expect(result.violations).toEqual([]);
  }, 180_000);
});
