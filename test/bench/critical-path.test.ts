import { describe, expect, it } from 'vitest';
import { criticalPath, overheadRatio, variantSeconds } from '../../bench/critical-path.js';
import { instancesBetween } from '../../local/generate.js';

describe('criticalPath', () => {
  it('adds build, Fast Launch and the slowest refresh of each wave in a variant', () => {
    const v = { variantId: 'a', buildSeconds: 3600, fastLaunchSeconds: 1800, waves: [[990], [4350, 1950, 990], []] };
    expect(variantSeconds(v)).toBe(3600 + 1800 + 990 + 4350);
  });

  it('takes the slowest variant, since variants run side by side', () => {
    const fast = { variantId: 'fast', buildSeconds: 3600, fastLaunchSeconds: 1800, waves: [[500]] };
    const slow = { variantId: 'slow', buildSeconds: 3600, fastLaunchSeconds: 1800, waves: [[500], [9000]] };
    expect(criticalPath([fast, slow])).toEqual({ seconds: 3600 + 1800 + 500 + 9000, variantId: 'slow' });
  });

  it('relates end-to-end time to the critical path', () => {
    expect(overheadRatio(10_500, 10_000)).toBeCloseTo(1.05, 10);
    expect(() => overheadRatio(10, 0)).toThrow();
  });
});

describe('instancesBetween', () => {
  it('gives every one of four variants every count from 2 to 20', () => {
    const count = instancesBetween(2, 20);
    for (let v = 0; v < 4; v++) {
      const seen = new Set(Array.from({ length: 19 }, (_, k) => count(v + 4 * k)));
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 19 }, (_, k) => k + 2));
    }
  });

  it('refuses an empty range', () => {
    expect(() => instancesBetween(5, 2)).toThrow(/min <= max/);
  });
});
