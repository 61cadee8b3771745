import { describe, expect, it } from 'vitest';
import { DEFAULT_VARIANTS } from '../../local/generate.js';
import { firstBatchPercent, handOverWaves, passedGate, splitAtGate, type WaveLoad } from '../../lib/rollout/hand-over.js';
import type { GroupProgress } from '../../lib/rollout/refresh.js';
import { latestRefreshes } from '../support/refreshes.js';
import { generateScenario, rehearse, type FleetSpec, type RehearsalReport } from '../support/rehearse.js';

const limits = { growth: 2, maxConcurrentGroups: 10, maxInstancesOutOfService: 20, maxExtraInstances: 30 };
const load = (groups: number, inFlight = groups, extra = 0, bytes = 1000): WaveLoad => ({ groups, inFlight, extra, bytes });

const alone = (loads: readonly WaveLoad[]) => loads.map((_, i) => [i]);
const handing = (loads: WaveLoad[], rounds = alone(loads), budget = 100_000) => [...handOverWaves(loads, rounds, limits, budget).to.entries()];
const byProof = (loads: WaveLoad[], rounds = alone(loads)) => {
  const { proof, limits: shares } = handOverWaves(loads, rounds, limits, 100_000);
  return { proof: [...proof.entries()], limits: [...shares.entries()] };
};

describe('which waves hand over', () => {
  it('never the first wave (the canary, or the single test group) nor the last; the others when two fit every limit together', () => {
    expect(handing([load(1), load(2), load(4), load(4)])).toEqual([[1, 2], [2, 3]]);
    expect(handing([load(1), load(2)])).toEqual([]);
  });

  it('by proof where the two waves together pass a limit (groups, instances replaced at once, extra instances); not where they pass the state', () => {
    // 4 + 7 groups pass 10: wave 1 hands over once 3 of its groups finished (7 <= 2 x (1 + 3)); 7 + 1 fit: at its first batch.
    expect(handing([load(1), load(4), load(7), load(1)])).toEqual([[1, 2], [2, 3]]);
    expect(byProof([load(1), load(4), load(7), load(1)])).toEqual({ proof: [[1, 3]], limits: [[2, { groups: 10, inFlight: 20, extra: 30 }]] });
    expect(byProof([load(1), load(2, 12), load(2, 9), load(1)]).proof).toEqual([[1, 0]]);
    expect(byProof([load(1), load(2, 2, 20), load(2, 2, 11), load(1)]).limits).toEqual([[2, { groups: 10, inFlight: 20, extra: 30 }]]);
    // The proof counts every group proven before: after 1 + 8, a round of 9 needs none of this one's (9 <= 2 x 9).
    expect(byProof([load(1), load(8), load(9), load(9), load(1)]).proof).toEqual([[1, 4], [2, 0]]);
    expect(handing([load(1), load(2, 2, 0, 60_000), load(2, 2, 0, 50_000), load(1)])).toEqual([[2, 3]]);
  });

  it('between rounds of parts, the j-th part to the j-th part of the next round, when both rounds fit the limits and each pair its state', () => {
    const parts = [load(1), load(1), load(1), load(1), load(2), load(2), load(1), load(1)];
    // Rounds [0], [1, 2], [3, 4, 5], [6, 7]: the parts of round 1 hand over to the first two of round 2 (3 + 5 groups fit 10)...
    const rounds = [[0], [1, 2], [3, 4, 5], [6, 7]];
    expect(handing(parts, rounds)).toEqual([[1, 3], [2, 4], [3, 6], [4, 7]]);
    // ...round 2's third part has none in round 3 to hand over to, and a pair over its state does not hand over.
    const heavy = parts.map((l, i) => (i === 4 ? { ...l, bytes: 99_500 } : l));
    expect(handing(heavy, rounds)).toEqual([[1, 3], [3, 6]]);
    // Two rounds that together pass a limit hand over by proof: 6 + 5 groups pass 10, while 5 + 2 fit. Each part of
    // round 1 waits for 1 of its 3 groups (5 <= 2 x (1 + 2)); each part of round 2 handed over to gets its share of the
    // limits, as large as its groups are of their round's.
    const wide = parts.map((l, i) => (i === 1 || i === 2 ? load(3) : l));
    expect(handing(wide, rounds)).toEqual([[1, 3], [2, 4], [3, 6], [4, 7]]);
    expect(byProof(wide, rounds)).toEqual({ proof: [[1, 1], [2, 1]], limits: [[3, { groups: 2, inFlight: 4, extra: 30 }], [4, { groups: 4, inFlight: 8, extra: 30 }]] });
  });
});

const group = (asgName: string, state: GroupProgress['state'], percent: number, carried = false, status = state === 'refreshing' ? 'InProgress' : null): GroupProgress => ({
  asgName,
  launchTemplateId: 'lt-1',
  fromVersion: '1',
  toVersion: '2',
  firstBatchPercent: 10,
  state,
  refreshId: 'r',
  status,
  percent,
  reason: null,
  busyAttempts: 0,
  ...(carried && { carried: true }),
});

describe('the gate of a wave that hands over', () => {
  it('opens once each of its groups replaced a batch and the groups it carried finished', () => {
    expect(passedGate([group('a', 'refreshing', 10), group('b', 'patched', 100), group('c', 'patched', 100, true)])).toBe(true);
    expect(passedGate([group('a', 'refreshing', 0), group('b', 'patched', 100)])).toBe(false);
    expect(passedGate([group('a', 'refreshing', 10), group('c', 'refreshing', 90, true)])).toBe(false);
  });

  it('counts a first batch, not a first instance: PercentageComplete at least the share of the first batch', () => {
    expect(firstBatchPercent(19, 1)).toBe(5);
    expect(firstBatchPercent(100, 10)).toBe(10);
    expect(firstBatchPercent(12, 12)).toBe(100);
    expect(passedGate([group('a', 'refreshing', 9)])).toBe(false);
    expect(passedGate([{ ...group('a', 'refreshing', 50), firstBatchPercent: undefined }])).toBe(false);
  });

  it('stays shut for a refresh rolling back or cancelling, though its PercentageComplete is still above the first batch', () => {
    expect(passedGate([group('a', 'refreshing', 60, false, 'RollbackInProgress')])).toBe(false);
    expect(passedGate([group('a', 'refreshing', 60, false, 'Cancelling')])).toBe(false);
    expect(passedGate([group('a', 'refreshing', 100, false, 'Baking')])).toBe(true);
  });

  it('stays shut while any group failed, rolled back or waits for someone else', () => {
    expect(passedGate([group('a', 'refreshing', 50), group('b', 'rolledBack', 0)])).toBe(false);
    expect(passedGate([group('a', 'refreshing', 50), group('b', 'failed', 0)])).toBe(false);
    expect(passedGate([group('a', 'refreshing', 50), group('b', 'busy', 0)])).toBe(false);
  });

  it('leaves the finished groups to this wave and carries the refreshing ones', () => {
    const { done, carried } = splitAtGate([group('a', 'refreshing', 10), group('b', 'patched', 100), group('c', 'skipped', 0)]);
    expect(done.map((g) => g.asgName)).toEqual(['b', 'c']);
    expect(carried.map((g) => [g.asgName, g.carried])).toEqual([['a', true]]);
  });
});

/**
 * One variant: a canary and 15 groups of 4 to 18 instances, larger with the index, so that progressive waves of growth 2
 * take them in config order: waves 1 (canary), 2, 4, 8, 1. Every group replaces one instance a batch.
 */
const VARIANT = 'win2022-core-131';
const ng = (i: number) => `ng-${VARIANT}-${String(i).padStart(4, '0')}`;
const WAVES = [[0], [1, 2], [3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13, 14], [15]];
const spec = (over: Partial<FleetSpec> = {}): FleetSpec => ({
  variants: [DEFAULT_VARIANTS[0] as NonNullable<FleetSpec['variants']>[number]],
  nodeGroups: 16,
  instances: (i) => 3 + i,
  config: { rollout: { growth: 2 } },
  ...over,
});

const refreshes = (report: RehearsalReport) => latestRefreshes(report, Array.from({ length: 16 }, (_, i) => ng(i)));

describe('waves that hand over at their first batch, rehearsed', () => {
  it('start the next wave while their slower groups still refresh, never more than two waves at once, and patch every group', async () => {
    const report = await rehearse(generateScenario(spec()));

    expect(report.status).toBe('SUCCEEDED');
    const r = await refreshes(report);
    expect([...r.values()].map((x) => x.status)).toEqual(Array(16).fill('Successful'));
    const startOf = (w: number) => Math.min(...(WAVES[w] as number[]).map((i) => r.get(ng(i))?.start ?? NaN));
    const endOf = (w: number) => Math.max(...(WAVES[w] as number[]).map((i) => r.get(ng(i))?.end ?? NaN));
    // The canary finishes whole before anything follows; every later wave but the last hands over to the next.
    expect(startOf(1)).toBeGreaterThan(endOf(0));
    for (const w of [1, 2, 3]) expect(startOf(w + 1)).toBeLessThan(endOf(w));
    for (let w = 0; w + 2 < WAVES.length; w++) expect(startOf(w + 2)).toBeGreaterThanOrEqual(endOf(w));
    const gate = report.notifications.find((n) => n.subject?.startsWith(`Wave 2/5 passed its gate for ${VARIANT}`));
    expect(gate?.message).toContain(`${ng(2)}: still refreshing`);
  });

  it('with rollout.waveGate complete start each wave only once the one before finished', async () => {
    const report = await rehearse(generateScenario(spec({ config: { rollout: { growth: 2, waveGate: 'complete' } } })));

    expect(report.status).toBe('SUCCEEDED');
    const r = await refreshes(report);
    const startOf = (w: number) => Math.min(...(WAVES[w] as number[]).map((i) => r.get(ng(i))?.start ?? NaN));
    const endOf = (w: number) => Math.max(...(WAVES[w] as number[]).map((i) => r.get(ng(i))?.end ?? NaN));
    for (let w = 0; w + 1 < WAVES.length; w++) expect(startOf(w + 1)).toBeGreaterThan(endOf(w));
  });

  it('stop at a group that fails after its wave handed over: the wave it went on with fails, no later wave starts', async () => {
    const faults = [{ kind: 'refreshFailure' as const, asgName: ng(2), atPercent: 60, reason: 'Instances failed to pass health checks', times: 1 }];
    const report = await rehearse(generateScenario(spec({ faults })));

    expect(report.status).toBe('FAILED');
    const r = await refreshes(report);
    expect([...r.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map(ng));
    expect(r.get(ng(2))?.status).toBe('RollbackSuccessful');
    // The wave it went on with ran to its end before the variant failed.
    for (const i of [3, 4, 5, 6]) expect(r.get(ng(i))?.status).toBe('Successful');
    const failure = report.notifications.find((n) => n.subject?.startsWith('FAILED'));
    expect(failure?.message.split('\n').filter((l) => l.startsWith(`  ${ng(2)}:`))).toEqual([expect.stringContaining('rolled back')]);
    expect(failure?.message).toContain('never touched (9)');
  });
});
