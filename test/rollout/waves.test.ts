import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.js';
import type { NodeGroupPlan } from '../../lib/plan/types.js';
import { variantWaves, withHandOvers } from '../../lib/rollout/wave-plan.js';
import { planWaves, surgePercentage, variantShare, type WaveWeight } from '../../lib/rollout/waves.js';

interface G { name: string; w: WaveWeight }
const group = (name: string, seconds: number, inFlight = 1, canary = false, extra = 1): G => ({ name, w: { canary, inFlight, extra, seconds } });
const names = (waves: G[][]) => waves.map((w) => w.map((g) => g.name));
const limits = { growth: 4, maxConcurrentGroups: 1000, maxInstancesOutOfService: 1000 };

/** Each wave its own round (no wave cut to fit a state). */
const alone = (waves: readonly unknown[]) => waves.map((_, i) => [i]);

describe('planWaves', () => {
  it('puts the canaries first on their own, then grows each wave by at most growth times the one before', () => {
    const groups = [group('c', 100, 1, true), ...Array.from({ length: 30 }, (_, i) => group(`g${i}`, 100))];

    const sizes = planWaves(groups, (g) => g.w, limits).map((w) => w.length);

    expect(sizes).toEqual([1, 4, 16, 10]);
  });

  it('orders the groups after the canary shortest refresh first, config order among equals', () => {
    const groups = [group('long', 900), group('c', 500, 1, true), group('short', 100), group('mid-a', 300), group('mid-b', 300), group('x', 100)];

    expect(names(planWaves(groups, (g) => g.w, { ...limits, growth: 2 }))).toEqual([['c'], ['short', 'x'], ['mid-a', 'mid-b', 'long']]);
  });

  it('caps every wave at maxConcurrentGroups', () => {
    const groups = [group('c', 1, 1, true), ...Array.from({ length: 20 }, (_, i) => group(`g${i}`, 1))];

    expect(planWaves(groups, (g) => g.w, { ...limits, maxConcurrentGroups: 5 }).map((w) => w.length)).toEqual([1, 4, 5, 5, 5, 1]);
  });

  it('closes a wave before its instances in flight pass the budget, and gives an oversized group a wave of its own', () => {
    const groups = [group('c', 1, 1, true), group('a', 2, 3), group('b', 3, 3), group('huge', 9, 50), group('d', 10, 1)];

    expect(names(planWaves(groups, (g) => g.w, { ...limits, maxInstancesOutOfService: 5 }))).toEqual([['c'], ['a'], ['b'], ['huge'], ['d']]);
  });

  it('keeps the extra instances of a surge wave within its budget', () => {
    const groups = [group('c', 1, 2, true, 2), ...Array.from({ length: 6 }, (_, i) => group(`g${i}`, 1, 4, false, 4))];

    expect(planWaves(groups, (g) => g.w, { ...limits, maxExtraInstances: 8 }).map((w) => w.length)).toEqual([1, 2, 2, 2]);
  });

  it('without a canary starts with a single group: it is the test', () => {
    expect(planWaves([group('a', 1), group('b', 1), group('c', 1)], (g) => g.w, limits).map((w) => w.length)).toEqual([1, 2]);
  });

  it('refuses a growth below 1', () => {
    expect(() => planWaves([group('a', 1)], (g) => g.w, { ...limits, growth: 0.5 })).toThrow('growth must be at least 1');
  });
});

describe('shares and surge', () => {
  it('shares a fleet-wide limit evenly between the variants, at least one each', () => {
    expect(variantShare(1000, 4)).toBe(250);
    expect(variantShare(3, 4)).toBe(1);
  });

  it('surges a group as far as the budget allows, never below the configured MaxHealthyPercentage', () => {
    expect(surgePercentage(10, 200, 100, 110)).toBe(200);
    expect(surgePercentage(10, 200, 5, 110)).toBe(159);
    expect(surgePercentage(100, 200, 5, 110)).toBe(110);
  });
});

describe('variantWaves', () => {
  const base = { variants: [{ id: 'v', windows: '2022', edition: 'Core', kubernetes: '1.31', nodeGroups: [{ asgName: 'a' }] }], admins: ['ops@example.com'], imageBuilder: { subnetId: 'subnet-0123456789abcdef0', securityGroupIds: ['sg-0123456789abcdef0'] } };
  const plan = (n: number, canary = false): NodeGroupPlan => ({ asgName: `ng-${n}`, launchTemplateId: `lt-${n}`, version: '1', canary, imageId: 'ami-00000001' });
  const groups = [plan(0, true), ...Array.from({ length: 9 }, (_, i) => plan(i + 1))];
  const sizes = new Map(groups.map((g, i) => [g.asgName, 2 + i]));

  it('keeps the fixed waves of rollout.waveSize in config order', () => {
    const config = parseConfig({ ...base, rollout: { waveSize: 3 } });

    expect(variantWaves(groups, sizes, config.rollout, 1).map((w) => w.length)).toEqual([1, 3, 3, 3]);
  });

  it('gives each group under rollout.surge the MaxHealthyPercentage its share of the budget allows', () => {
    const config = parseConfig({ ...base, rollout: { surge: { maxExtraInstances: 24 } } });

    const waves = variantWaves(groups, sizes, config.rollout, 2);

    // Share 12: every group of up to 12 instances launches all its replacements first (200 %); ng-9 (11) too.
    expect(waves.flat().map((g) => g.maxHealthyPercentage)).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200]);
    expect(waves.every((w) => w.reduce((n, g) => n + (sizes.get(g.asgName) ?? 0), 0) <= 12 || w.length === 1)).toBe(true);
  });

  it('under rollout.surge lets as many instances be replaced at once as the extra-instance budget, unless the cap is set', () => {
    const many = [plan(0, true), ...Array.from({ length: 400 }, (_, i) => plan(i + 1))];
    const tens = new Map(many.map((g) => [g.asgName, 10]));
    const widest = (rollout: Record<string, unknown>) => Math.max(...variantWaves(many, tens, parseConfig({ ...base, rollout }).rollout, 1).map((w) => w.length));

    // 10 instances a group, all replaced in one batch: 1,000 at once are 100 groups; a budget of 2,000 allows 200.
    expect(widest({ surge: { maxExtraInstances: 2000 } })).toBe(200);
    expect(widest({ surge: { maxExtraInstances: 2000 }, maxInstancesOutOfService: 1000 })).toBe(100);
  });

  it('hands over between the waves after the first where two fit the limits together, none with waveGate complete or fixed waves', () => {
    const hand = (rollout: Record<string, unknown>) => {
      const r = parseConfig({ ...base, rollout }).rollout;
      const waves = variantWaves(groups, sizes, r, 1);
      return withHandOvers(waves, alone(waves), sizes, r, 1).handOver;
    };

    // Waves 1, 4, 5: only the second may hand over (the first is the canary, the last finishes whole).
    expect(hand({})).toEqual([1]);
    // 4 + 5 groups pass a cap of 8: the second wave hands over by proof instead, once 1 of its groups finished
    // (5 <= 4 x (1 + 1)), and the third starts its own groups within its share beside the ones carried.
    expect(hand({ maxConcurrentGroups: 8 })).toEqual([1]);
    const tight = parseConfig({ ...base, rollout: { maxConcurrentGroups: 8 } }).rollout;
    const waves = variantWaves(groups, sizes, tight, 1);
    const proven = withHandOvers(waves, alone(waves), sizes, tight, 1);
    expect(proven).toMatchObject({ proof: { 1: 1 }, limits: { 2: { groups: 8 } } });
    expect([1, 2].flatMap((w) => proven.waves[w]?.map((g) => [g.load !== undefined, g.firstBatchPercent]) ?? [])).toEqual(Array(9).fill([true, undefined]));
    expect(hand({ waveGate: 'complete' })).toEqual([]);
    expect(hand({ waveSize: 3 })).toEqual([]);
    // Pauses the operator asked for hold the next wave back: no hand-over under checkpoints, bake time or alarms.
    expect(hand({ checkpointPercentages: [50, 100] })).toEqual([]);
    expect(hand({ bakeTimeSeconds: 600 })).toEqual([]);
    expect(hand({ alarms: ['nodes-unhealthy'] })).toEqual([]);
  });

  it('hands over from a round to the next, never to the part beside it in its own round, and names the carry each wave writes', () => {
    const r = parseConfig({ ...base, rollout: {} }).rollout;
    const waves = variantWaves(groups, sizes, r, 1);
    expect(withHandOvers(waves, alone(waves), sizes, r, 1)).toMatchObject({ handOver: [1], carryTo: [0, 2, 2] });
    // Waves 1 and 2 as the parts of one round, the last: nothing hands over, and each wave writes its own carry.
    expect(waves).toHaveLength(3);
    expect(withHandOvers(waves, [[0], [1, 2]], sizes, r, 1)).toMatchObject({ handOver: [], carryTo: [0, 1, 2] });
  });

  it('gives each group of a wave that hands over the PercentageComplete of its first batch', () => {
    const r = parseConfig({ ...base, rollout: {} }).rollout;
    const sized = variantWaves(groups, sizes, r, 1);
    const { waves } = withHandOvers(sized, alone(sized), sizes, r, 1);

    // MaxHealthyPercentage 110: groups of 3 to 6 instances replace one at a time (33 % down to 16 %); the last wave is not marked.
    expect(waves[1]?.map((g) => [sizes.get(g.asgName), g.firstBatchPercent])).toEqual([[3, 33], [4, 25], [5, 20], [6, 16]]);
    expect(waves[2]?.every((g) => g.firstBatchPercent === undefined)).toBe(true);
  });

  it('refuses waveSize together with growth, naming the field', () => {
    expect(() => parseConfig({ ...base, rollout: { waveSize: 3, growth: 2 } })).toThrow(/rollout\.waveSize.*remove waveSize/s);
  });
});
