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
 * (state.launches), possibly far ahead of what other refreshes have reserved since. The bucket's level after the
 * launches of second t is min(size, size + refill x (t - s) - launches in [s, t]) over every earlier s (the token
 * bucket's recurrence level(t) = min(size, level(t - 1) + refill) - launches(t), unrolled; windows back to LOOKBACK_S:
 * beyond that the sustained rate is what binds, and it is checked within the window). The same page: when the bucket
 * "has not yet refilled to support your next API request" the request is throttled, so the level never goes below
 * zero. A booking at t must therefore keep it >= 0 at t and at every later second already booked: a batch reserved
 * later for an earlier second must not take the tokens a batch reserved before it counted on (that batch keeps its
 * launch time); if it would, it moves later.
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
      const wait = Math.max(secondsUntilFree(ledger, sec, k, instances), secondsUntilFree(requestLedger, sec, 1, requests));
      if (wait === 0) break;
      sec += wait;
    }
    take(ledger, sec, k);
    take(requestLedger, sec, 1);
    left -= k;
  }
  return Math.max(t, sec * 1000);
}

type Bucket = { readonly size: number; readonly refillPerSecond: number };

/**
 * 0 if `need` tokens taken at `sec` leave the bucket's level >= 0 at `sec` and at every later second; otherwise how many
 * seconds later to try next. Taking them at `sec` lowers the level at a later second t by what is left of them after
 * the refill: the level at t becomes at most level(sec) + refill x (t - sec) - launches in (sec, t] - need (the level
 * formula's windows that start at or before `sec`), so that must stay >= 0 for every booked t. When it fails at t, no
 * second s up to t can do better (level(s) is at most level(sec) + refill x (s - sec) - launches in (sec, s], which
 * leaves t the same or less), so the next try is t + 1.
 */
function secondsUntilFree(ledger: Record<number, number>, sec: number, need: number, bucket: Bucket): number {
  const { size, refillPerSecond: refill } = bucket;
  const level = levelAt(ledger, sec, size, refill);
  if (level < need) return Math.ceil((need - level) / refill);
  const { first, counts } = denseOf(ledger);
  let launched = 0;
  let lastShort = -1;
  for (let t = Math.max(sec + 1, first), end = Math.min(first + counts.length - 1, sec + LOOKBACK_S - 1); t <= end; t++) {
    launched += counts[t - first] as number;
    const slack = level + refill * (t - sec) - launched - need;
    if (slack < 0) lastShort = t;
    // Every level is >= 0 (each booking kept them so), so launches in (t, u] are at most size + refill x (u - t - 1):
    // from here on the slack can fall by at most size - refill. Past that margin no later second can be short.
    else if (slack >= size - refill) break;
  }
  return lastShort < 0 ? 0 : lastShort + 1 - sec;
}

function take(ledger: Record<number, number>, sec: number, k: number): void {
  denseOf(ledger).add(sec, k);
  ledger[sec] = (ledger[sec] ?? 0) + k;
}

/**
 * The ledger's level formula, read from a dense copy of the ledger (per second from its first entry) instead of 3,600
 * look-ups in the sparse record per call. The same minimum: seconds with no launch cannot lower it (between two launches
 * the refill term only grows going back), so the walk covers the seconds from the ledger's first to its last entry only.
 * It stops early too: every level is >= 0, so the launches in any window of n seconds are at most size + refill x (n - 1),
 * and a window starting before s can lower the window from s by at most size - refill.
 */
function levelAt(ledger: Record<number, number>, sec: number, size: number, refill: number): number {
  const { first, counts } = denseOf(ledger);
  let level = size;
  let launched = 0;
  for (let s = Math.min(sec, first + counts.length - 1), end = Math.max(first, sec - LOOKBACK_S + 1); s >= end; s--) {
    launched += counts[s - first] as number;
    const fromS = size + refill * (sec - s) - launched;
    level = Math.min(level, fromS);
    if (fromS - (size - refill) >= level) break;
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
