import type { FleetMetrics } from './measure.js';

/**
 * What users pay for: how long the fleet runs the old AMI after AWS published the new one.
 * The window runs from the AMI's appearance in the public SSM parameter to the last targeted
 * node on the new AMI, detection lag included. Its lower bound is what AWS must do in sequence:
 * detection lag + image build + Fast Launch + the canary wave, then the longest single other
 * group's refresh, or, when that takes longer, every other replacement at the account's launch
 * rate. Per variant: its canary's refresh + its longest other group's refresh; the slowest
 * variant counts. Fleet-wide (the RunInstances bucket is the account's): no group but a canary
 * launches before the first canary finished (the canary decides), the other replacements
 * (one RunInstances launch each) then pass the resource bucket (its size at once, then the
 * refill per second), and the last of them still has to launch (from a pre-provisioned
 * snapshot: the quickest launch there is) before it is a node on the new AMI.
 * Fast Launch and the canary are in sequence by choice, and the bound keeps them so: the canary's
 * first nodes launch from pre-provisioned snapshots (as a scale-out's will), and a canary started
 * while Fast Launch is enabling launches up to 1 / 0.35 slower (local/sim/fastlaunch.ts, launchMs); README, "How it
 * works", gives what not waiting measured at 1,000 groups.
 * The canary's and the longest group's refreshes are measured, so they carry what the Fast Launch pool gave them: past
 * fastLaunch.targetResourceCount launches at once, the rest launch without a snapshot (local/sim/fastlaunch.ts), and a
 * group's refresh is as slow as its slowest batch. The bound is the sequence with the configured pool, not with one
 * that never runs out: raising targetResourceCount lowers both the window and the bound.
 * Left out of the bound, which keeps it a lower bound, only a looser one: RunInstances' request bucket (one call per
 * batch launch, 5 then 2 per second: local/sim/ec2-limits.ts); the surge budget of extra instances at once; that past
 * the pool most launches go without a snapshot. The On-Demand vCPU quota bounds how many extra instances a surge may
 * run, not the launch rate: the plan fits rollout.surge into it, so it shows in the measured window, not in this bound.
 * It counts every instance of the fleet as a replacement, as in the bench's fleets (every group needs the new AMI); a
 * fleet with groups already current would need its launches counted instead.
 *
 * `earlierRatio` is the window over the bound the bench used until 3 December 2026, which let every launch start the
 * moment Fast Launch was ready (canary-first forbids that) and counted no last launch: kept so both readings show.
 */
export interface ExposureModel {
  detectionLagSeconds: number;
  buildSeconds: number;
  fastLaunchSeconds: number;
  /** EC2 RunInstances resource token bucket: size and refill per second (EC2 API guide, "Request throttling", resource token limits). */
  launchBucket: { size: number; refillPerSecond: number };
  /** One instance's launch from a pre-provisioned snapshot (the scenario's durations.instanceLaunch). */
  launchSeconds: number;
}

export interface Exposure {
  windowSeconds: number;
  boundSeconds: number;
  /** The launch-rate part of the bound (after build and Fast Launch): first canary, the other launches through the bucket, one launch. */
  ceilingSeconds: number;
  /** The launch rate, not a group's refresh, makes the bound. */
  byLaunchRate: boolean;
  ratio: number;
  /** The window over the earlier bound (above). */
  earlierRatio: number;
}

type Measured = Pick<FleetMetrics, 'lastNodeSeconds' | 'canarySecondsByVariant' | 'longestSecondsByVariant' | 'instances' | 'canaryInstances'>;

export function exposure(m: Measured, model: ExposureModel): Exposure {
  const fixed = model.detectionLagSeconds + model.buildSeconds + model.fastLaunchSeconds;
  const variants = Object.keys(m.canarySecondsByVariant);
  const canary = (v: string) => m.canarySecondsByVariant[v] ?? 0;
  const sequence = Math.max(0, ...variants.map((v) => canary(v) + (m.longestSecondsByVariant[v] ?? 0)));
  const others = m.instances - m.canaryInstances;
  const ceilingSeconds =
    others > 0 ? Math.min(...variants.map(canary)) + Math.max(0, others - model.launchBucket.size) / model.launchBucket.refillPerSecond + model.launchSeconds : 0;
  const boundSeconds = fixed + Math.max(sequence, ceilingSeconds);
  const windowSeconds = model.detectionLagSeconds + m.lastNodeSeconds;
  const earlierBound = fixed + Math.max(sequence, Math.max(0, m.instances - model.launchBucket.size) / model.launchBucket.refillPerSecond);
  return { windowSeconds, boundSeconds, ceilingSeconds, byLaunchRate: ceilingSeconds > sequence, ratio: windowSeconds / boundSeconds, earlierRatio: windowSeconds / earlierBound };
}
