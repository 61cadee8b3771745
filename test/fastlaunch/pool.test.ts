import { describe, expect, it } from 'vitest';
import { fastLaunchPoolWarning } from '../../lib/fastlaunch/quota.js';

const sizes = new Map([
  ['canary', 2],
  ['a', 6],
  ['b', 6],
  ['c', 4],
]);

describe('fastLaunchPoolWarning', () => {
  it('names the largest wave, its launches and at most how many find a snapshot at once, with both ways out', () => {
    const w = fastLaunchPoolWarning([[{ asgName: 'canary' }], [{ asgName: 'a' }, { asgName: 'b' }], [{ asgName: 'c' }]], sizes, 5);
    expect(w).toBe(
      'fastLaunch.targetResourceCount 5: at most 5 of the 12 launches of wave 2 (the largest) can find a pre-provisioned snapshot at once; the others wait for EC2 to replenish them or launch at normal Windows speed: raise it (each snapshot costs EBS storage) or accept it',
    );
  });
  it('says nothing while the largest wave launches at most twice the snapshots on hand', () => {
    expect(fastLaunchPoolWarning([[{ asgName: 'canary' }], [{ asgName: 'a' }, { asgName: 'b' }]], sizes, 6)).toBeNull();
    expect(fastLaunchPoolWarning([], sizes, 5)).toBeNull();
  });
});
