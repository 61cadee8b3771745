/**
 * How long to wait before the next status check: most of the expected time while
 * the work is far from done (few state transitions), short near the end (little
 * lag after completion). Never below `min`, never above `max`.
 */
export function nextPollSeconds(opts: { elapsedSeconds: number; expectedSeconds: number; min: number; max: number }): number {
  const remaining = opts.expectedSeconds - opts.elapsedSeconds;
  const wait = remaining > 0 ? remaining * 0.8 : opts.min;
  return Math.round(Math.min(opts.max, Math.max(opts.min, wait)));
}

/** Remaining time estimated from progress so far (percent 0–100), for refreshes. */
export function secondsFromProgress(opts: { elapsedSeconds: number; percent: number; min: number; max: number; fallback: number }): number {
  if (opts.percent <= 0 || opts.elapsedSeconds <= 0) return Math.min(opts.max, Math.max(opts.min, opts.fallback));
  const total = (opts.elapsedSeconds * 100) / opts.percent;
  return nextPollSeconds({ elapsedSeconds: opts.elapsedSeconds, expectedSeconds: total, min: opts.min, max: opts.max });
}
