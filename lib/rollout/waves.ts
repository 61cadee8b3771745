import type { NodeGroupPlan } from '../plan/types.js';
import { chunk } from '../util.js';

/**
 * Canary groups form the first wave on their own, so a bad AMI stops there; the
 * rest follow in waves of at most `waveSize`, in config order. Without canaries
 * the first wave is simply the first `waveSize` groups.
 */
export function splitIntoWaves(groups: readonly NodeGroupPlan[], waveSize: number): NodeGroupPlan[][] {
  const canaries = groups.filter((g) => g.canary);
  const rest = chunk(groups.filter((g) => !g.canary), waveSize);
  return canaries.length ? [canaries, ...rest] : rest;
}
