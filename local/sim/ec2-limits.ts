import type { Ctx } from './context.js';

/**
 * EC2 API guide, "Request throttling for the Amazon EC2 API", resource token limits: RunInstances has a resource
 * token bucket of 1,000 instances per account and Region, refilled at 2 per second, and every instance launched
 * takes one token whoever asks (Auto Scaling's launches for an instance refresh count against it). An empty bucket
 * answers RequestLimitExceeded; Auto Scaling retries the launch (a throttled launch is a failed scaling activity that
 * it tries again), so a throttled batch starts late rather than failing the refresh.
 *
 * The same page's request token limits give RunInstances its own request bucket too: one token per request, whatever
 * it launches. Auto Scaling makes one RunInstances request per batch launch of a group here (Fast Launch one per
 * enable), so a wave of many small groups can run out of requests long before instances. The page's table row could
 * not be read here; we take a bucket of 5 requests refilled at 2 per second, the smallest figure given for a specific
 * action (the stricter reading: it binds earlier than a larger bucket would). A launch waits for both buckets.
 *
 * A refresh's timeline is fixed when it starts, so its batches reserve their launches then, on a per-second ledger
 * (state.launches). The bucket's level at second t is min(size, size + refill x (t - s) - launches in (s, t]) over
 * every earlier s (windows back to LOOKBACK_S: beyond that the sustained rate is what binds, and it is checked
 * within the window). A batch reserved later does not move a batch already reserved (it keeps its launch time).
 */
export const RUN_INSTANCES_BUCKET = { size: 1000, refillPerSecond: 2 } as const;
export const RUN_INSTANCES_REQUEST_BUCKET = { size: 5, refillPerSecond: 2 } as const;
const LOOKBACK_S = 3600;

/** The earliest time at or after `t` (ms) at which `count` instances can launch (one request per bucket-sized piece); takes their tokens. */
export function reserveLaunches(ctx: Ctx, t: number, count: number): number {
  if (count <= 0) return t;
  const instances = RUN_INSTANCES_BUCKET;
  const requests = RUN_INSTANCES_REQUEST_BUCKET;
  const ledger = (ctx.state.launches ??= {});
  const requestLedger = (ctx.state.launchRequests ??= {});
  let sec = Math.ceil(t / 1000);
  // A batch above the bucket's size launches in bucket-sized pieces; the batch starts when its last piece may.
  for (let left = count; left > 0; ) {
    const k = Math.min(left, instances.size);
    for (;;) {
      const instanceLevel = levelAt(ledger, sec, instances.size, instances.refillPerSecond);
      const requestLevel = levelAt(requestLedger, sec, requests.size, requests.refillPerSecond);
      if (instanceLevel >= k && requestLevel >= 1) break;
      sec += Math.max(waitFor(k, instanceLevel, instances.refillPerSecond), waitFor(1, requestLevel, requests.refillPerSecond));
    }
    take(ledger, sec, k);
    take(requestLedger, sec, 1);
    left -= k;
  }
  return Math.max(t, sec * 1000);
}

/** Seconds until a bucket at `level` refilled at `refill` holds `need` tokens (0: it does now). */
function waitFor(need: number, level: number, refill: number): number {
  return level >= need ? 0 : Math.ceil((need - level) / refill);
}

function take(ledger: Record<number, number>, sec: number, k: number): void {
  denseOf(ledger).add(sec, k);
  ledger[sec] = (ledger[sec] ?? 0) + k;
}

/**
 * The ledger's level formula, read from a dense copy of the ledger (per second from its first entry) instead of 3,600
 * look-ups in the sparse record per call. The same minimum: seconds with no launch cannot lower it (between two launches
 * the refill term only grows going back), so the walk covers the seconds from the ledger's first to its last entry only.
 */
function levelAt(ledger: Record<number, number>, sec: number, size: number, refill: number): number {
  const { first, counts } = denseOf(ledger);
  let level = size;
  let launched = 0;
  for (let s = Math.min(sec, first + counts.length - 1), end = Math.max(first, sec - LOOKBACK_S + 1); s >= end; s--) {
    launched += counts[s - first] as number;
    level = Math.min(level, size + refill * (sec - s) - launched);
  }
  return level;
}

/** state.launches per second as an array from its first second; built once per ledger, then kept up to date by `add`. */
class DenseLedger {
  first = Number.POSITIVE_INFINITY;
  counts: number[] = [];
  add(sec: number, k: number): void {
    if (this.counts.length === 0) this.first = sec;
    if (sec < this.first) {
      this.counts = new Array<number>(this.first - sec).fill(0).concat(this.counts);
      this.first = sec;
    }
    while (sec - this.first >= this.counts.length) this.counts.push(0);
    this.counts[sec - this.first] = (this.counts[sec - this.first] as number) + k;
  }
}
const dense = new WeakMap<Record<number, number>, DenseLedger>();
function denseOf(ledger: Record<number, number>): DenseLedger {
  let d = dense.get(ledger);
  if (!d) {
    d = new DenseLedger();
    for (const [sec, k] of Object.entries(ledger)) d.add(Number(sec), k);
    dense.set(ledger, d);
  }
  return d;
}
