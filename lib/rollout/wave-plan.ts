import type { Rollout } from '../config.js';
import { WAVE_DEFAULTS } from '../config/waves.js';
import type { NodeGroupPlan, VariantPlan } from '../plan/types.js';
import { batchSize, expectedRefreshSeconds } from './deadline.js';
import { groupStateBytes, HAND_OVER_STATE_BUDGET } from '../store/wave-budget.js';
import { firstBatchPercent, handOverWaves, loadOf } from './hand-over.js';
import { planWaves, splitIntoWaves, surgePercentage, variantShare, type WaveLimits, type WaveWeight } from './waves.js';

/**
 * The waves of one variant, from the plan's groups and their desired capacities (read by the plan, kept out of
 * the plan itself). `variants` is how many variants of the run roll out side by side: the fleet-wide limits are
 * shared evenly between them. With rollout.waveSize the old fixed waves; otherwise progressive waves, and with
 * rollout.surge each self-managed group's MaxHealthyPercentage as high as its share of the extra-instance budget allows.
 */
export function variantWaves(groups: readonly NodeGroupPlan[], sizes: ReadonlyMap<string, number>, rollout: Rollout, variants: number): NodeGroupPlan[][] {
  if (rollout.waveSize !== undefined) return splitIntoWaves(groups, rollout.waveSize);
  const surge = rollout.surge;
  const extraBudget = surge ? variantShare(surge.maxExtraInstances, variants) : undefined;
  const surged = groups.map((g): NodeGroupPlan => {
    // EKS sizes a managed node group's update itself (updateConfig): no surge there.
    if (!surge || g.managed || extraBudget === undefined) return g;
    const p = surgePercentage(sizeOf(g, sizes), surge.maxHealthyPercentage, extraBudget, rollout.maxHealthyPercentage);
    return p === rollout.maxHealthyPercentage ? g : { ...g, maxHealthyPercentage: p };
  });
  return planWaves(surged, weigher(sizes, rollout), limitsOf(rollout, variants));
}

/**
 * The waves that hand over (lib/rollout/hand-over.ts), from the waves as the plan cut them to fit a state and the rounds
 * they run in: the waves with each group of those marked for its gate (the PercentageComplete its first batch means, or
 * for a hand-over by proof what it holds while it refreshes, in the wave handed over to too), the handing-over waves,
 * the ones of them that hand over by proof with the groups they must have finished, the share of the limits of each wave
 * handed over to by proof, and for every wave the carry-<i>.json it leaves its groups still refreshing in (the wave it
 * hands over to, else its own, already read). None with rollout.waveSize (the old fixed waves) or rollout.waveGate
 * complete, and none where the operator asked a refresh to pause or be watched (checkpoints, bake time, alarms): those
 * pauses are meant to hold the next round back too.
 */
export function withHandOvers(
  waves: NodeGroupPlan[][],
  rounds: readonly number[][],
  sizes: ReadonlyMap<string, number>,
  rollout: Rollout,
  variants: number,
): Required<Pick<VariantPlan, 'waves' | 'handOver' | 'carryTo' | 'proof' | 'limits'>> {
  const own = waves.map((_, i) => i);
  const paused = (rollout.checkpointPercentages?.length ?? 0) > 0 || rollout.bakeTimeSeconds !== undefined || rollout.alarms.length > 0;
  if (rollout.waveSize !== undefined || (rollout.waveGate ?? WAVE_DEFAULTS.waveGate) === 'complete' || paused) return { waves, handOver: [], carryTo: own, proof: {}, limits: {} };
  const weigh = weigher(sizes, rollout);
  const loads = waves.map((w) => loadOf(w.map((g) => ({ ...weigh(g), bytes: groupStateBytes(g) }))));
  const { to, proof, limits } = handOverWaves(loads, rounds, limitsOf(rollout, variants), HAND_OVER_STATE_BUDGET);
  const marked = waves.map((w, i) =>
    w.map((g): NodeGroupPlan => {
      const { inFlight, extra } = weigh(g);
      // A wave may be handed over to by proof and hand over at its first batch itself: then its groups carry both.
      const admitted = proof.has(i) || limits.has(i) ? { load: { inFlight, extra } } : {};
      const atFirstBatch = to.has(i) && !proof.has(i) ? { firstBatchPercent: firstBatchPercent(sizeOf(g, sizes), inFlight) } : {};
      return { ...g, ...admitted, ...atFirstBatch };
    }),
  );
  return {
    waves: marked,
    handOver: [...to.keys()].sort((a, b) => a - b),
    carryTo: own.map((i) => to.get(i) ?? i),
    proof: Object.fromEntries(proof),
    limits: Object.fromEntries(limits),
  };
}

/** What one group weighs in a wave, with the MaxHealthyPercentage the plan gave it (surge) or the rollout's. */
function weigher(sizes: ReadonlyMap<string, number>, rollout: Rollout): (g: NodeGroupPlan) => WaveWeight {
  return (g) => {
    const r = g.maxHealthyPercentage === undefined ? rollout : { ...rollout, maxHealthyPercentage: g.maxHealthyPercentage };
    const n = sizeOf(g, sizes);
    const inFlight = Math.min(n, batchSize(n, r));
    return { canary: g.canary, inFlight, extra: Math.floor((n * Math.max(0, r.maxHealthyPercentage - 100)) / 100), seconds: expectedRefreshSeconds(n, r) };
  };
}

/** One variant's share of the fleet-wide limits (with surge, of its extra-instance budget too). */
function limitsOf(rollout: Rollout, variants: number): WaveLimits {
  const extraBudget = rollout.surge ? variantShare(rollout.surge.maxExtraInstances, variants) : undefined;
  return {
    growth: rollout.growth ?? WAVE_DEFAULTS.growth,
    maxConcurrentGroups: variantShare(rollout.maxConcurrentGroups ?? WAVE_DEFAULTS.maxConcurrentGroups, variants),
    // Under surge every replacement under way is an extra instance the budget already allows: unset, the cap follows it.
    maxInstancesOutOfService: variantShare(rollout.maxInstancesOutOfService ?? Math.max(WAVE_DEFAULTS.maxInstancesOutOfService, rollout.surge?.maxExtraInstances ?? 0), variants),
    ...(extraBudget !== undefined && { maxExtraInstances: extraBudget }),
  };
}

/** The plan reads every group's ASG, so its size is there; the 1 only guards the arithmetic. */
const sizeOf = (g: NodeGroupPlan, sizes: ReadonlyMap<string, number>) => Math.max(1, sizes.get(g.asgName) ?? 1);
