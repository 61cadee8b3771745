import type { VariantOutcome } from '../lib/notify/summary.js';
import type { VariantPlan } from '../lib/plan/types.js';
import { planKey, resultKey, type StoreRef } from '../lib/store/keys.js';
import type { SimulatedAccount } from './sim/account.js';

/**
 * What a run keeps in its run-state bucket, read from the simulated one (local tooling: the summary, the bench): a
 * child execution's input carries the variant's header, its plan with every group is plan.json.
 */
export function storedVariant(account: SimulatedAccount, variant: { store?: StoreRef; waves?: VariantPlan['waves'] } | undefined): VariantPlan | undefined {
  if (!variant) return undefined;
  if (variant.waves || !variant.store) return variant as VariantPlan;
  const o = account.objects.get(`${variant.store.bucket}/${planKey(variant.store)}`);
  return o ? (JSON.parse(o.body) as VariantPlan) : undefined;
}

/** The variant's whole outcome (result.json), or the one its execution returned when none was stored. */
export function storedOutcome(account: SimulatedAccount, variant: { store?: StoreRef } | undefined, output: VariantOutcome): VariantOutcome {
  const o = variant?.store ? account.objects.get(`${variant.store.bucket}/${resultKey(variant.store)}`) : undefined;
  return o ? (JSON.parse(o.body) as VariantOutcome) : output;
}
