import { describe, expect, it } from 'vitest';
import { exposure, type ExposureModel } from '../../bench/exposure.js';

const model: ExposureModel = { detectionLagSeconds: 3600, buildSeconds: 3600, fastLaunchSeconds: 1800, launchBucket: { size: 1000, refillPerSecond: 2 }, launchSeconds: 480 };
const fixed = 3600 + 3600 + 1800;

describe('the exposure bound', () => {
  it('is the slowest variant’s canary and longest other refresh while the launches fit the bucket', () => {
    const e = exposure({ lastNodeSeconds: 9000, instances: 900, canaryInstances: 20, canarySecondsByVariant: { a: 500, b: 1400 }, longestSecondsByVariant: { a: 3000, b: 1900 } }, model);

    expect(e.boundSeconds).toBe(fixed + 500 + 3000);
    expect(e.byLaunchRate).toBe(false);
    expect(e.windowSeconds).toBe(3600 + 9000);
    expect(e.ratio).toBeCloseTo((3600 + 9000) / (fixed + 3500), 10);
  });

  it('past the bucket: the other launches start after the first canary, at the refill rate, and the last one still launches', () => {
    const e = exposure({ lastNodeSeconds: 20_000, instances: 11_040, canaryInstances: 40, canarySecondsByVariant: { a: 500, b: 1400 }, longestSecondsByVariant: { a: 2000, b: 1900 } }, model);

    // 11,000 other launches: 1,000 at once, 10,000 at 2 per second.
    expect(e.ceilingSeconds).toBe(500 + 5000 + 480);
    expect(e.boundSeconds).toBe(fixed + 500 + 5000 + 480);
    expect(e.byLaunchRate).toBe(true);
    // The earlier reading: every launch from the moment Fast Launch is ready, no last launch.
    expect(e.earlierRatio).toBeCloseTo((3600 + 20_000) / (fixed + 10_040 / 2), 10);
  });
});
