/**
 * EC2's default regional quota of parallel Fast Launch launches: "The default quota for Max
 * parallel launches across all AMIs in an AWS account is 40 per Region" (EC2 User Guide,
 * EC2 Fast Launch prerequisites for Windows).
 */
export const FAST_LAUNCH_PARALLEL_QUOTA = 40;

/**
 * AMIs of one variant that hold Fast Launch at once during a rollout: the new one is enabled
 * before the first wave, and last month's keeps it until the variant's rollout ends
 * (RetireOldImages), because the groups not yet moved still launch from it.
 */
export const AMIS_PER_VARIANT_DURING_ROLLOUT = 2;

/**
 * Variants run side by side, so each one's MaxParallelLaunches counts against the same
 * regional quota at once, twice (old and new AMI): past it, EnableFastLaunch is refused for
 * the later variants. Pure, for config validation (null when the config fits).
 */
export function fastLaunchQuotaProblem(cfg: { variants: readonly unknown[]; fastLaunch: { enabled: boolean; maxParallelLaunches: number } }, quota = FAST_LAUNCH_PARALLEL_QUOTA): string | null {
  if (!cfg.fastLaunch.enabled) return null;
  const amis = cfg.variants.length * AMIS_PER_VARIANT_DURING_ROLLOUT;
  const total = amis * cfg.fastLaunch.maxParallelLaunches;
  if (total <= quota) return null;
  const perAmi = Math.floor(quota / amis);
  const fix =
    perAmi >= 6
      ? `lower fastLaunch.maxParallelLaunches to ${perAmi} or less`
      : `even EC2's minimum of 6 per AMI does not fit: request a higher quota in Service Quotas (then set fastLaunch.regionalQuota to it), or set fastLaunch.enabled: false`;
  return (
    `${cfg.variants.length} variant(s) x ${AMIS_PER_VARIANT_DURING_ROLLOUT} AMIs x ${cfg.fastLaunch.maxParallelLaunches} = ${total} parallel launches, ` +
    `over the regional Fast Launch quota of ${quota} (variants run side by side, and each variant's last AMI keeps Fast Launch until its rollout ends): ${fix}`
  );
}

/**
 * A launch from a Fast Launch enabled AMI uses one of its pre-provisioned snapshots, and EC2 replenishes them as they
 * are used, each with a temporary instance (EC2 User Guide, "Use EC2 Fast Launch for your Windows instances" /
 * "Configure Windows fast launch"): at most fastLaunch.targetResourceCount launches at once find one (fewer when the
 * pool is not yet full or an earlier wave emptied it; replenishment during a wave may serve more), the others wait for
 * EC2 to replenish or go through Windows setup at normal speed. A line in the plan when the variant's largest wave
 * launches more than twice that (most of it cannot find one at once): its wave number (1 = the first), counted in
 * instances replaced. Pure; null while the largest wave launches at most 2 x targetResourceCount.
 */
export function fastLaunchPoolWarning(waves: readonly (readonly { asgName: string }[])[], sizes: ReadonlyMap<string, number>, targetResourceCount: number): string | null {
  const launches = waves.map((w) => w.reduce((n, g) => n + (sizes.get(g.asgName) ?? 0), 0));
  const largest = Math.max(0, ...launches);
  if (largest <= 2 * targetResourceCount) return null;
  const wave = launches.indexOf(largest) + 1;
  return (
    `fastLaunch.targetResourceCount ${targetResourceCount}: at most ${targetResourceCount} of the ${largest} launches of wave ${wave} (the largest) can find a pre-provisioned snapshot at once; ` +
    `the others wait for EC2 to replenish them or launch at normal Windows speed: raise it (each snapshot costs EBS storage) or accept it`
  );
}
