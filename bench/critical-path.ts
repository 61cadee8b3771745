/**
 * The critical path of AWS's own work in a run: what the run would take if the
 * pipeline reacted to every AWS state change instantly. Variants run side by
 * side; inside a variant the image build, Fast Launch and the waves run one
 * after another, and a wave lasts as long as its slowest instance refresh.
 */
export interface VariantWork {
  variantId: string;
  buildSeconds: number;
  fastLaunchSeconds: number;
  /** Seconds of each group's instance refresh, wave by wave. */
  waves: readonly (readonly number[])[];
}

export function variantSeconds(v: VariantWork): number {
  return v.buildSeconds + v.fastLaunchSeconds + v.waves.reduce((sum, wave) => sum + (wave.length ? Math.max(...wave) : 0), 0);
}

export function criticalPath(variants: readonly VariantWork[]): { seconds: number; variantId: string | null } {
  let best: { seconds: number; variantId: string | null } = { seconds: 0, variantId: null };
  for (const v of variants) {
    const s = variantSeconds(v);
    if (s > best.seconds) best = { seconds: s, variantId: v.variantId };
  }
  return best;
}

/** Simulated end-to-end time over the critical path: 1.00 means no lag at all. */
export function overheadRatio(simulatedSeconds: number, criticalSeconds: number): number {
  if (criticalSeconds <= 0) throw new Error('the critical path must be positive');
  return simulatedSeconds / criticalSeconds;
}
