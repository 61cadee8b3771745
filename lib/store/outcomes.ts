import type { VariantOutcome } from '../notify/summary.js';
import type { WaveOutcomeGroup } from '../rollout/check-wave.js';
import type { VariantHeader } from './header.js';
import { getAll, outcomeKey, putJson, resultKey } from './run-store.js';

/** Each finished wave's outcome, in wave order (the state machine's PutWaveOutcome wrote them). */
export async function loadOutcomes(header: Pick<VariantHeader, 'store' | 'waveCount'>): Promise<{ groups: WaveOutcomeGroup[] }[]> {
  const keys = Array.from({ length: header.waveCount }, (_, i) => outcomeKey(header.store, i));
  return (await getAll<WaveOutcomeGroup[]>(header.store.bucket, keys)).map((groups) => ({ groups }));
}

/** Names kept in the execution's output per list; the summary lists no more (lib/notify/summary.ts). */
export const OUTCOME_NAMES = 20;

/**
 * The variant's outcome as the parent's state receives it: counts, and the first names of each list; the full outcome
 * goes to `result.json` next to the plan (the summary names where).
 */
export async function compactOutcome(header: Pick<VariantHeader, 'store'>, full: VariantOutcome): Promise<VariantOutcome> {
  const key = resultKey(header.store);
  await putJson(header.store.bucket, key, full);
  const partial = full.partial ?? [];
  return {
    ...full,
    patched: full.patched.slice(0, OUTCOME_NAMES),
    current: full.current.slice(0, OUTCOME_NAMES),
    skipped: full.skipped.slice(0, OUTCOME_NAMES),
    partial: partial.slice(0, OUTCOME_NAMES),
    warnings: full.warnings.slice(0, OUTCOME_NAMES + 1),
    counts: { patched: full.patched.length, current: full.current.length, skipped: full.skipped.length, partial: partial.length, warnings: full.warnings.length },
    fullOutcome: `s3://${header.store.bucket}/${key}`,
  };
}
