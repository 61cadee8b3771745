/**
 * Retries for AWS calls: throttling and server faults back off exponentially with
 * full jitter (sleep = random(0, min(cap, base·2^attempt))), so a wave of many ASGs
 * in one Lambda survives a throttling burst without a thundering retry herd.
 */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'Throttled',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'SlowDown',
]);

export interface RetryOptions {
  attempts: number;
  baseMs: number;
  capMs: number;
  random: () => number;
}

const defaults: RetryOptions = { attempts: 10, baseMs: 250, capMs: 20_000, random: Math.random };

export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = error as Error & { $fault?: string; $retryable?: unknown };
  return THROTTLING.has(error.name) || meta.$fault === 'server' || meta.$retryable !== undefined || error.name === 'TimeoutError';
}

export function backoffMs(attempt: number, options: RetryOptions = defaults): number {
  return Math.floor(options.random() * Math.min(options.capMs, options.baseMs * 2 ** attempt));
}

export async function withRetries<T>(call: () => Promise<T>, options: Partial<RetryOptions> = {}): Promise<T> {
  const opts = { ...defaults, ...options };
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt + 1 >= opts.attempts || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, opts)));
    }
  }
}
