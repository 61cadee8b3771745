import { describe, expect, it } from 'vitest';
import { fastLaunchPoolWarning } from '../../lib/fastlaunch/quota.js';

const sizes = new Map([
  ['canary', 2],
  ['a', 6],
  ['b', 6],
  ['c', 4],
]);

describe('fastLaunchPoolWarning', () => {
  it('names the largest wave, its launches and what the snapshots cover, with both ways out', () => {
    const w = fastLaunchPoolWarning([[{ asgName: 'canary' }], [{ asgName: 'a' }, { asgName: 'b' }], [{ asgName: 'c' }]], sizes, 5);
    expect(w).toBe(
      'fastLaunch.targetResourceCount 5 covers 5 of the 12 launches of wave 2 (the largest); the rest launch at normal Windows speed until EC2 replenishes the snapshots: raise it (each snapshot costs EBS storage) or accept it',
    );
  });
  it('says nothing while the largest wave launches at most twice the snapshots on hand', () => {
    expect(fastLaunchPoolWarning([[{ asgName: 'canary' }], [{ asgName: 'a' }, { asgName: 'b' }]], sizes, 6)).toBeNull();
    expect(fastLaunchPoolWarning([], sizes, 5)).toBeNull();
  });
});
