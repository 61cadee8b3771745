import type { Ctx } from './context.js';

/**
 * EC2 API guide, "Request throttling for the Amazon EC2 API", resource token limits: RunInstances has a resource
 * token bucket of 1,000 instances per account and Region, refilled at 2 per second, and every instance launched
 * takes one token whoever asks (Auto Scaling's launches for an instance refresh count against it). An empty bucket
 * answers RequestLimitExceeded; Auto Scaling retries the launch (a throttled launch is a failed scaling activity that
 * it tries again), so a throttled batch starts late rather than failing the refresh.
 *
 * Modelled as the token bucket's equivalent, the generic cell rate algorithm: `launchTat` is the theoretical arrival
 * time; k launches at t conform when tat - t <= (size - k) / refill. Batches are reserved when a refresh is planned
 * (its timeline is fixed at start), in start order: a later refresh never takes tokens an earlier one reserved,
 * which is at least as strict as a bucket shared on the clock.
 */
export const RUN_INSTANCES_BUCKET = { size: 1000, refillPerSecond: 2 } as const;

/** The earliest time at or after `t` (ms) at which `count` instances can launch; takes their tokens. */
export function reserveLaunches(ctx: Ctx, t: number, count: number): number {
  if (count <= 0) return t;
  const { size, refillPerSecond } = RUN_INSTANCES_BUCKET;
  const perMs = refillPerSecond / 1000;
  // A batch above the bucket's size launches in bucket-sized pieces; the batch starts when its last piece may.
  let at = t;
  for (let left = count; left > 0; ) {
    const k = Math.min(left, size);
    const tat = Math.max(ctx.state.launchTat ?? 0, at);
    const earliest = tat - (size - k) / perMs;
    at = Math.max(at, Math.ceil(earliest));
    ctx.state.launchTat = Math.max(tat, at) + k / perMs;
    left -= k;
  }
  return at;
}
