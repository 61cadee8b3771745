import type { FleetMetrics } from './measure.js';

/**
 * What users pay for: how long the fleet runs the old AMI after AWS published the new one.
 * The window runs from the AMI's appearance in the public SSM parameter to the last targeted
 * node on the new AMI, detection lag included. Its lower bound is what AWS must do in sequence
 * for the slowest variant: detection lag + image build + Fast Launch + the canary wave + the
 * longest single other group's refresh; or, when larger, the account's launch-rate ceiling
 * (every replacement is one RunInstances launch: past the resource bucket, refill per second).
 * Fast Launch and the canary are in sequence by choice, and the bound keeps them so: the canary's
 * nodes must launch as the fleet's will (from pre-provisioned snapshots), and a canary started
 * while Fast Launch is enabling launches up to 1 / 0.35 slower (local/sim/fastlaunch.ts, launchMs),
 * which measured no shorter at 1,000 groups (README, "How it works").
 * The canary's and the longest group's refreshes are measured, so they carry what the Fast Launch pool gave them: past
 * fastLaunch.targetResourceCount launches at once, the rest launch without a snapshot (local/sim/fastlaunch.ts), and a
 * group's refresh is as slow as its slowest batch. The bound is the sequence with the configured pool, not with one
 * that never runs out: raising targetResourceCount lowers both the window and the bound.
 * RunInstances' request bucket (one call per batch launch, 5 then 2 per second: local/sim/ec2-limits.ts) is left out
 * of the bound: leaving a constraint out keeps it a lower bound, only a looser one. The On-Demand vCPU quota bounds how many extra instances a surge may run, not the launch
 * rate: the plan fits rollout.surge into it, so it shows in the measured window, not in this bound.
 */
export interface ExposureModel {
  detectionLagSeconds: number;
  buildSeconds: number;
  fastLaunchSeconds: number;
  /** EC2 RunInstances resource token bucket: size and refill per second (EC2 API guide, "Request throttling", resource token limits). */
  launchBucket: { size: number; refillPerSecond: number };
}

export interface Exposure {
  windowSeconds: number;
  boundSeconds: number;
  /** The launch-rate ceiling part of the bound (after build and Fast Launch). */
  ceilingSeconds: number;
  ratio: number;
}

export function exposure(m: Pick<FleetMetrics, 'lastNodeSeconds' | 'canarySecondsByVariant' | 'longestSecondsByVariant' | 'instances'>, model: ExposureModel): Exposure {
  const fixed = model.detectionLagSeconds + model.buildSeconds + model.fastLaunchSeconds;
  const variants = Object.keys(m.canarySecondsByVariant);
  const sequence = Math.max(0, ...variants.map((v) => (m.canarySecondsByVariant[v] ?? 0) + (m.longestSecondsByVariant[v] ?? 0)));
  const ceilingSeconds = Math.max(0, m.instances - model.launchBucket.size) / model.launchBucket.refillPerSecond;
  const boundSeconds = fixed + Math.max(sequence, ceilingSeconds);
  const windowSeconds = model.detectionLagSeconds + m.lastNodeSeconds;
  return { windowSeconds, boundSeconds, ceilingSeconds, ratio: windowSeconds / boundSeconds };
}
