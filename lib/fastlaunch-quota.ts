/** EC2's default regional quota of parallel Fast Launch launches, shared by every AMI. */
export const FAST_LAUNCH_PARALLEL_QUOTA = 40;

/**
 * Variants run side by side, so each one's MaxParallelLaunches counts against the same
 * regional quota at once: past it, EnableFastLaunch is refused for the later variants.
 * Pure, for config validation (null when the config fits).
 */
export function fastLaunchQuotaProblem(cfg: { variants: readonly unknown[]; fastLaunch: { enabled: boolean; maxParallelLaunches: number } }, quota = FAST_LAUNCH_PARALLEL_QUOTA): string | null {
  if (!cfg.fastLaunch.enabled) return null;
  const total = cfg.variants.length * cfg.fastLaunch.maxParallelLaunches;
  if (total <= quota) return null;
  const perVariant = Math.floor(quota / cfg.variants.length);
  const fix =
    perVariant >= 6
      ? `lower fastLaunch.maxParallelLaunches to ${perVariant} or less`
      : `even EC2's minimum of 6 per variant does not fit: request a higher quota in Service Quotas, or set fastLaunch.enabled: false`;
  return `${cfg.variants.length} variant(s) x ${cfg.fastLaunch.maxParallelLaunches} = ${total} parallel launches, over the regional Fast Launch quota of ${quota} (variants run side by side): ${fix}`;
}
