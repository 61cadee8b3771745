import { describe, expect, it } from 'vitest';
import { releaseRolledOut } from '../lib/record.js';

describe('when a variant records its release as rolled out (item 10)', () => {
  const built = { build: true, rollout: true };

  it('never records a release when the variant patched no group', () => {
    expect(releaseRolledOut(built, { patched: [], current: [] })).toBe(false);
  });

  it('records it when a group was patched or already runs the AMI', () => {
    expect(releaseRolledOut(built, { patched: ['ng-a'], current: [] })).toBe(true);
    expect(releaseRolledOut(built, { patched: [], current: ['ng-a'] })).toBe(true);
  });

  it('records a build-only run (no rollout stage), and never a run that built nothing', () => {
    expect(releaseRolledOut({ build: true, rollout: false }, { patched: [], current: [] })).toBe(true);
    expect(releaseRolledOut({ build: false, rollout: true }, { patched: ['ng-a'], current: [] })).toBe(false);
  });

  it('records a Karpenter-only variant (no node groups in config) once its AMI parameter moved', () => {
    expect(releaseRolledOut({ build: true, rollout: true }, { patched: [], current: [] }, true)).toBe(true);
    expect(releaseRolledOut({ build: false, rollout: true }, { patched: [], current: [] }, true)).toBe(false);
  });
});
