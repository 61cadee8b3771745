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

/** What wave sizing needs to know of one group: read from the plan, never from AWS here. */
export interface WaveWeight {
  canary: boolean;
  /** Instances its refresh takes out of service at once (one batch: lib/rollout/deadline.ts batchSize). */
  inFlight: number;
  /** Instances above desired capacity while a batch launches (MaxHealthyPercentage over 100). */
  extra: number;
  /** Its refresh's expected length (lib/rollout/deadline.ts expectedRefreshSeconds): orders the groups. */
  seconds: number;
}

/** One variant's share of the run's limits. */
export interface WaveLimits {
  /** Each wave after the canary holds at most this many times the groups of the wave before it. */
  growth: number;
  maxConcurrentGroups: number;
  maxInstancesOutOfService: number;
  /** Surge only: the variant's share of the fleet-wide budget of extra instances. */
  maxExtraInstances?: number;
}

/**
 * Progressive waves. The canaries go first on their own and decide: the state machine starts
 * nothing else until their wave passed. After them each wave may hold up to `growth` times the
 * groups of the wave before it, up to maxConcurrentGroups, and only while the instances its
 * groups replace at once (and, with surge, the extra instances they launch) fit the budget; a
 * single group over the budget still gets a wave of its own (a refresh cannot be split).
 *
 * The non-canary groups go shortest refresh first (config order among equals). A wave lasts as
 * long as its slowest refresh, so the sum of the waves' lengths is smallest when groups of like
 * length share a wave and the longest ones share the last, largest wave; and the early, small
 * waves that still widen the proof after the canary finish soonest. Without a canary the
 * first wave is a single group: it is the test.
 */
export function planWaves<G>(groups: readonly G[], weigh: (g: G) => WaveWeight, limits: WaveLimits): G[][] {
  if (!(limits.growth >= 1)) throw new RangeError(`growth must be at least 1 (got ${limits.growth})`);
  const weighed = groups.map((g, order) => ({ g, w: weigh(g), order }));
  const canaries = weighed.filter((x) => x.w.canary).map((x) => x.g);
  const rest = weighed.filter((x) => !x.w.canary).sort((a, b) => a.w.seconds - b.w.seconds || a.order - b.order);
  const waves: G[][] = canaries.length ? [canaries] : [];
  let previous = Math.max(1, canaries.length);
  let first = canaries.length === 0;
  let i = 0;
  while (i < rest.length) {
    const cap = Math.max(1, Math.min(limits.maxConcurrentGroups, first ? 1 : Math.floor(previous * limits.growth)));
    const wave: G[] = [];
    let inFlight = 0;
    let extra = 0;
    for (; i < rest.length && wave.length < cap; i++) {
      const { g, w } = rest[i] as (typeof rest)[number];
      const overFlight = inFlight + w.inFlight > limits.maxInstancesOutOfService;
      const overExtra = limits.maxExtraInstances !== undefined && extra + w.extra > limits.maxExtraInstances;
      if (wave.length && (overFlight || overExtra)) break;
      wave.push(g);
      inFlight += w.inFlight;
      extra += w.extra;
    }
    waves.push(wave);
    previous = wave.length;
    first = false;
  }
  return waves;
}

/** A fleet-wide limit shared evenly by the variants that roll out side by side (each runs its own execution). */
export function variantShare(fleetWide: number, variants: number): number {
  return Math.max(1, Math.floor(fleetWide / Math.max(1, variants)));
}

/**
 * Surge: the highest MaxHealthyPercentage up to `max` whose extra instances fit `budget`
 * (Auto Scaling launches floor(desired x (max - 100) / 100) above desired capacity, at
 * least one while it replaces). 100 + 1 per cent steps; never below `floor`.
 */
export function surgePercentage(instances: number, max: number, budget: number, floor: number): number {
  for (let p = max; p > floor; p--) if (Math.floor((instances * (p - 100)) / 100) <= budget) return p;
  return floor;
}
