import { describe, expect, it } from 'vitest';
import { PlanError } from '../../lib/errors.js';
import type { NodeGroupPlan } from '../../lib/plan/types.js';
import { fitWavesToState, PART_STATE_BUDGET, WAVE_STATE_BUDGET, waveStateBytes } from '../../lib/store/wave-budget.js';

const group = (i: number, canary = false): NodeGroupPlan => ({
  asgName: `eksctl-prod-cluster-nodegroup-windows-workers-${String(i).padStart(5, '0')}-NodeGroup-0123456789AB`.slice(0, 80),
  launchTemplateId: 'lt-0123456789abcdef0',
  version: '12',
  canary,
  imageId: 'ami-0b2022c0000000001',
});
const groups = (n: number, canary = false) => Array.from({ length: n }, (_, i) => group(i, canary));

describe('waves cut to fit a Step Functions state', () => {
  it('leaves waves that fit alone, and cuts a larger one into equal consecutive parts that fit, in order', () => {
    const small = groups(10);
    const big = groups(600).map((g, i) => ({ ...g, asgName: `${g.asgName.slice(0, 74)}-${String(i).padStart(5, '0')}` }));
    expect(waveStateBytes(big)).toBeGreaterThan(WAVE_STATE_BUDGET);

    const { waves: fitted, rounds } = fitWavesToState('win2022-core-131', [small, big]);

    expect(fitted[0]).toBe(small);
    expect(fitted.slice(1).flat()).toEqual(big);
    for (const w of fitted) expect(waveStateBytes(w)).toBeLessThanOrEqual(WAVE_STATE_BUDGET);
    const sizes = fitted.slice(1).map((w) => w.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(sizes.length);
    // The small wave is a round alone; the big one's parts make one round, to run side by side.
    expect(fitted.length).toBeGreaterThan(2);
    expect(rounds).toEqual([[0], fitted.slice(1).map((_, i) => i + 1)]);
  });

  it('once a wave must be cut, cuts every later wave into parts two of which fit a state, at least as many as the round before has', () => {
    const named = (n: number, from: number) => groups(n).map((g, i) => ({ ...g, asgName: `${g.asgName.slice(0, 74)}-${String(from + i).padStart(5, '0')}` }));
    const [canary, mid, big, last] = [groups(1, true), named(150, 0), named(600, 150), named(5, 750)];
    expect(waveStateBytes(mid)).toBeLessThan(WAVE_STATE_BUDGET);
    expect(waveStateBytes(mid)).toBeGreaterThan(PART_STATE_BUDGET);

    const { waves, rounds } = fitWavesToState('win2022-core-131', [canary, mid, big, last]);

    expect(waves.flat()).toEqual([canary, mid, big, last].flat());
    for (const w of waves.slice(1)) expect(waveStateBytes(w)).toBeLessThanOrEqual(PART_STATE_BUDGET);
    const counts = rounds.map((r) => r.length);
    expect(counts[0]).toBe(1);
    expect(counts[1]).toBe(2);
    expect(counts[2]).toBeGreaterThan(2);
    // The last wave has 5 groups: as many parts as it can, one group each.
    expect(counts[3]).toBe(5);
    // Alone, the same 150 groups fit one state and are not cut.
    expect(fitWavesToState('win2022-core-131', [canary, mid]).rounds).toEqual([[0], [1]]);
  });

  it('never cuts the canary wave: too many canaries for one state is a plan error naming the variant and the fix', () => {
    expect(() => fitWavesToState('win2022-core-131', [groups(600, true)])).toThrow(PlanError);
    expect(() => fitWavesToState('win2022-core-131', [groups(600, true)])).toThrow(/^variants\.win2022-core-131\.nodeGroups: 600 canary groups make a first wave of about \d+ KB of state, over the 160 KB a wave may hold: mark fewer groups canary: true$/);
  });
});
