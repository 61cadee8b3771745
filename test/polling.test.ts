import { describe, expect, it } from 'vitest';
import { nextPollSeconds, secondsFromProgress } from '../lib/polling.js';

describe('nextPollSeconds', () => {
  it('waits most of the expected remaining time while far from done', () => {
    expect(nextPollSeconds({ elapsedSeconds: 0, expectedSeconds: 3600, min: 60, max: 3600 })).toBe(2880);
  });

  it('never waits less than min, even past the expected end', () => {
    expect(nextPollSeconds({ elapsedSeconds: 4000, expectedSeconds: 3600, min: 60, max: 3600 })).toBe(60);
    expect(nextPollSeconds({ elapsedSeconds: 3590, expectedSeconds: 3600, min: 60, max: 3600 })).toBe(60);
  });

  it('never waits more than max', () => {
    expect(nextPollSeconds({ elapsedSeconds: 0, expectedSeconds: 36_000, min: 60, max: 1200 })).toBe(1200);
  });
});

describe('secondsFromProgress', () => {
  it('estimates the rest from the rate so far', () => {
    // 25% in 10 minutes: about 30 minutes left, of which 80% is waited.
    expect(secondsFromProgress({ elapsedSeconds: 600, percent: 25, min: 60, max: 3600, fallback: 300 })).toBe(1440);
  });

  it('uses the fallback before any progress', () => {
    expect(secondsFromProgress({ elapsedSeconds: 120, percent: 0, min: 60, max: 3600, fallback: 300 })).toBe(300);
  });
});
