import type { RunPlan, VariantPlan } from '../plan/types.js';
import { DRY_RUN_INLINE_BYTES, variantHeader, type StoredRunPlan, type VariantHeader } from './header.js';
import { carryKey, getJson, planKey, putJson, stopKey, storePrefix, waveKey } from './run-store.js';

export type { StoredRunPlan, VariantHeader } from './header.js';

/**
 * Writes each variant's plan and waves (not in a dry run: it writes nothing) and returns the plan the state keeps.
 * One object per wave so the state machine reads a wave, never the fleet.
 */
export async function storePlan(plan: RunPlan, bucket: string): Promise<StoredRunPlan> {
  const variants = [];
  const inline = plan.dryRun && Buffer.byteLength(JSON.stringify(plan.variants)) <= DRY_RUN_INLINE_BYTES;
  for (const v of plan.variants) {
    const store = { bucket, prefix: storePrefix(plan.executionName, v.id) };
    if (!plan.dryRun && plan.proceed === 'now') {
      await putJson(bucket, planKey(store), v);
      // Nothing stopped a round yet: a wave of a round of several writes what went wrong in it (lib/rollout/check-wave.ts).
      await putJson(bucket, stopKey(store), {});
      // Each wave's groups, and what it takes over until a wave of the round before hands over to it (VariantPlan.carryTo):
      // nothing. Every carry exists, so that after a failed round the state machine can read what each of its waves handed
      // over. A handful at a time: each key is its own, so each PUT is independent.
      for (let i = 0; i < v.waves.length; i += 16)
        await Promise.all(v.waves.slice(i, i + 16).flatMap((w, j) => [putJson(bucket, waveKey(store, i + j), w), putJson(bucket, carryKey(store, i + j), { groups: [] })]));
    }
    variants.push(inline ? { ...variantHeader(v, store), waves: v.waves } : variantHeader(v, store));
  }
  return { ...plan, variants };
}

/** The variant's full plan, for the functions that look at every node group (outcomes, retirement, failure report). */
export async function loadVariant(header: Pick<VariantHeader, 'store'>): Promise<VariantPlan> {
  return getJson<VariantPlan>(header.store.bucket, planKey(header.store));
}

