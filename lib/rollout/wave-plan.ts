import type { Rollout } from '../config.js';
import { WAVE_DEFAULTS } from '../config/waves.js';
import type { NodeGroupPlan } from '../plan/types.js';
import { batchSize, expectedRefreshSeconds } from './deadline.js';
import { planWaves, splitIntoWaves, surgePercentage, variantShare, type WaveWeight } from './waves.js';

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
  const weigh = (g: NodeGroupPlan): WaveWeight => {
    const r = g.maxHealthyPercentage === undefined ? rollout : { ...rollout, maxHealthyPercentage: g.maxHealthyPercentage };
    const n = sizeOf(g, sizes);
    const inFlight = Math.min(n, batchSize(n, r));
    return { canary: g.canary, inFlight, extra: Math.floor((n * Math.max(0, r.maxHealthyPercentage - 100)) / 100), seconds: expectedRefreshSeconds(n, r) };
  };
  return planWaves(surged, weigh, {
    growth: rollout.growth ?? WAVE_DEFAULTS.growth,
    maxConcurrentGroups: variantShare(rollout.maxConcurrentGroups ?? WAVE_DEFAULTS.maxConcurrentGroups, variants),
    maxInstancesOutOfService: variantShare(rollout.maxInstancesOutOfService ?? WAVE_DEFAULTS.maxInstancesOutOfService, variants),
    ...(extraBudget !== undefined && { maxExtraInstances: extraBudget }),
  });
}

/** The plan reads every group's ASG, so its size is there; the 1 only guards the arithmetic. */
const sizeOf = (g: NodeGroupPlan, sizes: ReadonlyMap<string, number>) => Math.max(1, sizes.get(g.asgName) ?? 1);
