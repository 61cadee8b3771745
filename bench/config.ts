import { DEFAULT_VARIANTS, eksctlName, generateScenario, instancesBetween } from '../local/generate.js';
import type { Scenario } from '../local/scenario.js';
import type { Durations } from '../local/sim/fleet.js';
import type { ExposureModel } from './exposure.js';

/** The fleets `npm run bench` rehearses; change them here and the tables follow. */
export const SIZES = [10, 100, 300, 1000] as const;
/** Sizes the issue asks for in the table; 300 is only there for the growth fit. */
export const TABLE_SIZES = [10, 100, 1000] as const;
export const INSTANCES = { min: 2, max: 20 };
export const DURATIONS: Durations = { imageBuild: 60, fastLaunchEnable: 30, instanceLaunch: 8, instanceBoot: 4 };
export const THROTTLE_RATE = 0.2;
/**
 * Operator's wave size. The default (10) makes 1,000 groups 26 waves per variant;
 * see RESULTS.md "Fixed waves of 10 at 1,000 groups" for why the bench uses 25.
 */
export const WAVE_SIZE = 25;
export const DEFAULT_WAVE_SIZE = 10;
/** Service Quotas value the bench's account declares (fastLaunch.regionalQuota). */
export const BENCH_FAST_LAUNCH_QUOTA = 48;

/** Exposure rows: the fleet sizes, and the surge setting rehearsed next to the defaults (a fleet-wide budget of extra instances). */
export const EXPOSURE_SIZES = [10, 100, 1000, 5000] as const;
export const SURGE = { maxHealthyPercentage: 200, maxExtraInstances: 4000 };
/**
 * The settings each exposure size is rehearsed with. Under surge every group is one batch, so a wave costs one launch
 * and no wave can hand over at a first batch: the number of waves after the canary decides the window, and growth 10
 * takes three or four where the default 4 takes five. Both surge rows are printed and both have their target.
 */
export const EXPOSURE_SETTINGS: readonly (readonly [string, Record<string, unknown>])[] = [
  ['defaults', {}],
  [`surge ${SURGE.maxHealthyPercentage} %, ${SURGE.maxExtraInstances} extra`, { surge: SURGE }],
  [`surge ${SURGE.maxHealthyPercentage} %, ${SURGE.maxExtraInstances} extra, growth 10`, { surge: SURGE, growth: 10 }],
];
/**
 * Issue 12's state limits, on names of exactly 80 characters: 5,000 groups in one variant (every group in one
 * execution) and spread over four, with the defaults.
 */
export const LIMIT_RUNS: readonly { setting: string; variants: number }[] = [
  { setting: 'defaults, 80-character names, one variant', variants: 1 },
  { setting: 'defaults, 80-character names, four variants', variants: 4 },
];
export const LIMIT_RUN_SIZE = 5000;
/**
 * The common fleet of one Windows variant: 1,000 groups (eksctl-style names) in one execution, with the defaults and
 * with surge at the default growth and at growth 10. Their ratio has the same target as the four-variant rows.
 */
export const ONE_VARIANT_SIZE = 1000;
export const ONE_VARIANT_SETTINGS: readonly (readonly [string, Record<string, unknown>])[] = [
  ['defaults, one variant', {}],
  [`surge ${SURGE.maxHealthyPercentage} %, ${SURGE.maxExtraInstances} extra, one variant`, { surge: SURGE }],
  [`surge ${SURGE.maxHealthyPercentage} %, ${SURGE.maxExtraInstances} extra, growth 10, one variant`, { surge: SURGE, growth: 10 }],
];
/** triggers.detectSchedule's default rate(1 hour): an AMI published just after a tick waits an hour to be seen (the worst case). */
export const DETECTION_LAG_SECONDS = 3600;
/** What the exposure bound (bench/exposure.ts) is made of, from the modelled durations. */
export const EXPOSURE_MODEL: ExposureModel = {
  detectionLagSeconds: DETECTION_LAG_SECONDS,
  buildSeconds: DURATIONS.imageBuild * 60,
  fastLaunchSeconds: DURATIONS.fastLaunchEnable * 60,
  // EC2 API guide, "Request throttling", resource token limits: RunInstances 1,000 tokens, refill 2 per second.
  launchBucket: { size: 1000, refillPerSecond: 2 },
  launchSeconds: DURATIONS.instanceLaunch * 60,
};

export interface BenchOptions {
  throttle?: number;
  throttleOperations?: string[];
  /** Fixed waves of this size (the rows kept from before progressive waves); absent with `rollout`: the config's defaults. */
  waveSize?: number;
  /** rollout settings instead of the fixed waves (e.g. {} for the defaults, { surge: SURGE }). */
  rollout?: Record<string, unknown>;
  /** eksctl-style ASG names of 60-80 characters. */
  realNames?: boolean;
  /** ASG names of exactly this many characters (instead of realNames). */
  nameLength?: number;
  /** The first this many of the default variants (all four by default). */
  variants?: number;
}

export function benchScenario(nodeGroups: number, opts: BenchOptions = {}): Scenario {
  const rollout = opts.rollout ?? { waveSize: opts.waveSize ?? WAVE_SIZE };
  return generateScenario({
    variants: DEFAULT_VARIANTS.slice(0, opts.variants ?? DEFAULT_VARIANTS.length),
    nodeGroups,
    instances: instancesBetween(INSTANCES.min, INSTANCES.max),
    ...(opts.realNames && { asgName: eksctlName }),
    ...(opts.nameLength !== undefined && { nameLength: opts.nameLength }),
    // 4 variants x 2 AMIs (old and new hold Fast Launch during a rollout) x 6 = 48: over the
    // default quota of 40, so the bench's account is one with the quota raised to 48.
    config: { rollout, fastLaunch: { regionalQuota: BENCH_FAST_LAUNCH_QUOTA } },
    durations: DURATIONS,
    faults: opts.throttle ? [{ kind: 'throttle', rate: opts.throttle, ...(opts.throttleOperations ? { operations: opts.throttleOperations } : {}) }] : [],
  });
}
