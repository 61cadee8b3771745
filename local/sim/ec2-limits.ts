import type { Ctx } from './context.js';

/**
 * EC2 API guide, "Request throttling for the Amazon EC2 API", resource token limits: RunInstances has a resource
 * token bucket of 1,000 instances per account and Region, refilled at 2 per second, and every instance launched
 * takes one token whoever asks (Auto Scaling's launches for an instance refresh count against it). An empty bucket
 * answers RequestLimitExceeded; Auto Scaling retries the launch (a throttled launch is a failed scaling activity that
 * it tries again), so a throttled batch starts late rather than failing the refresh.
 *
 * The same page's request token limits give RunInstances its own request bucket as well (one token per request). Auto
 * Scaling makes one RunInstances request per batch launch of a group here (each launching at least one instance), so the
 * requests a batch takes never exceed the instances it takes: with RunInstances' request bucket no smaller and refilled
 * no slower than the resource bucket, an instance ledger that admits a batch admits its request too. The request bucket
 * therefore never binds first and is not kept as a second ledger.
 *
 * A refresh's timeline is fixed when it starts, so its batches reserve their launches then, on a per-second ledger
 * (state.launches). The bucket's level at second t is min(size, size + refill x (t - s) - launches in (s, t]) over
 * every earlier s (windows back to LOOKBACK_S: beyond that the sustained rate is what binds, and it is checked
 * within the window). A batch reserved later does not move a batch already reserved (it keeps its launch time).
 */
export const RUN_INSTANCES_BUCKET = { size: 1000, refillPerSecond: 2 } as const;
const LOOKBACK_S = 3600;

/** The earliest time at or after `t` (ms) at which `count` instances can launch; takes their tokens. */
export function reserveLaunches(ctx: Ctx, t: number, count: number): number {
  if (count <= 0) return t;
  const { size, refillPerSecond } = RUN_INSTANCES_BUCKET;
  const ledger = (ctx.state.launches ??= {});
  let sec = Math.ceil(t / 1000);
  // A batch above the bucket's size launches in bucket-sized pieces; the batch starts when its last piece may.
  for (let left = count; left > 0; ) {
    const k = Math.min(left, size);
    for (;;) {
      const level = levelAt(ledger, sec, size, refillPerSecond);
      if (level >= k) break;
      sec += Math.ceil((k - level) / refillPerSecond);
    }
    denseOf(ledger).add(sec, k);
    ledger[sec] = (ledger[sec] ?? 0) + k;
    left -= k;
  }
  return Math.max(t, sec * 1000);
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
