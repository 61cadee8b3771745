import type { NodeGroupPlan, RunPlan, VariantPlan } from '../plan/types.js';
import type { WaveLimit } from '../rollout/admission.js';
import { planKey, type StoreRef } from './keys.js';

/**
 * A variant as its execution's state carries it: everything but the node groups, which stay in the run-state bucket
 * (plan.json, wave-<i>.json). Its size does not grow with the fleet.
 */
export interface VariantHeader extends Omit<VariantPlan, 'waves'> {
  store: StoreRef;
  waveCount: number;
  groupCount: number;
  /** The waves by round (VariantPlan.rounds, each wave its own round when absent): RollOutWaves iterates over the rounds, RollOutRound over a round's waves. */
  rounds: number[][];
  /** The first wave holds the canary groups. */
  canaryFirst: boolean;
  /** The waves that hand over, at their first batch or by proof (lib/rollout/hand-over.ts): CheckWave reads it; empty when none do. */
  handOver: number[];
  /** The handing-over waves that hand over by proof, with the groups they must have finished first (CheckWave reads it). */
  proof: Record<number, number>;
  /** The waves handed over to by proof, with their share of the limits (StartInstanceRefreshes and CheckWave read it). */
  limits: Record<number, WaveLimit>;
  /** For each wave, the carry-<i>.json it writes (VariantPlan.carryTo, or the wave after it in an older plan): CheckWave and WatchHandedOver read it. */
  carryTo: number[];
  /**
   * The plan's group names for the failure notice the state machine builds itself when the full report fails: all of
   * them as a JSON list while they fit in GROUP_LIST_BYTES, else the first ones, how many more, and where all are.
   */
  groupList: string;
  /** A dry run's plan, whole, when it fits DRY_RUN_INLINE_BYTES (a dry run writes nothing, not even to the bucket). */
  waves?: NodeGroupPlan[][];
}

/** A dry run's plan stays in its output while the whole plan is this small (Step Functions allows 256 KB in a state). */
export const DRY_RUN_INLINE_BYTES = 192 * 1024;

export const GROUP_LIST_BYTES = 4096;

export function groupList(names: readonly string[], where: string): string {
  const all = JSON.stringify(names);
  if (Buffer.byteLength(all) <= GROUP_LIST_BYTES) return all;
  const first: string[] = [];
  for (const n of names) {
    if (Buffer.byteLength(JSON.stringify([...first, n])) > GROUP_LIST_BYTES - 200) break;
    first.push(n);
  }
  return `${JSON.stringify(first)} and ${names.length - first.length} more (every one: ${where})`;
}

export interface StoredRunPlan extends Omit<RunPlan, 'variants'> {
  variants: VariantHeader[];
}

export function variantHeader(v: VariantPlan, store: StoreRef): VariantHeader {
  const { waves, ...rest } = v;
  const names = waves.flat().map((g) => g.asgName);
  return {
    ...rest,
    store,
    waveCount: waves.length,
    groupCount: names.length,
    rounds: roundsOf(v),
    canaryFirst: waves[0]?.some((g) => g.canary) ?? false,
    handOver: v.handOver ?? [],
    proof: v.proof ?? {},
    limits: v.limits ?? {},
    carryTo: v.waves.map((_, i) => carryTarget(v, i)),
    groupList: groupList(names, `s3://${store.bucket}/${planKey(store)}`),
  };
}

/**
 * The variant as lib/'s messages and guards read it during one wave: the number of waves, its rounds, and that wave's
 * groups by name and canary flag (wave-guard.ts, check-wave.ts and waveNotice read no more). The other waves are empty: nothing that takes this
 * reads them.
 */
export function variantForWave(header: VariantHeader, index: number, groups: Pick<NodeGroupPlan, 'asgName' | 'canary'>[]): VariantPlan {
  const { store: _s, waveCount, groupCount: _g, canaryFirst: _c, groupList: _l, waves: _v, ...rest } = header;
  // Only asgName and canary are read of these groups (see above).
  const wave = groups as NodeGroupPlan[];
  return { ...rest, waves: Array.from({ length: waveCount }, (_, i) => (i === index ? wave : [])) };
}

/** The wave whose carry-<i>.json wave `index` writes (VariantPlan.carryTo); a plan from before rounds: the wave after it. */
export const carryTarget = (v: Pick<VariantPlan, 'carryTo'>, index: number): number => v.carryTo?.[index] ?? index + 1;

/** A plan's rounds: the plan's own, or (a plan from before rounds) each wave alone. */
export const roundsOf = (v: Pick<VariantPlan, 'waves' | 'rounds'>): number[][] => v.rounds ?? v.waves.map((_, i) => [i]);
