import { logger } from '../logger.js';

/**
 * Retries for AWS calls: throttling, server faults and lost answers (network errors)
 * back off exponentially with full jitter (sleep = random(0, min(cap, base·2^attempt))),
 * so a wave of many ASGs in one Lambda survives a throttling burst without a
 * thundering retry herd. Each retry is logged: throttling an operator never sees is
 * throttling nobody raises a quota for.
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

/** The SDK's own transient names and Node's socket codes (@smithy/service-error-classification): the request may have gone through, its answer did not come back. */
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export interface RetryOptions {
  attempts: number;
  baseMs: number;
  capMs: number;
  random: () => number;
}

/** What the retry log names: the AWS operation ("StartInstanceRefresh"). */
export interface RetryLabel {
  operation?: string;
}

const defaults: RetryOptions = { attempts: 10, baseMs: 250, capMs: 20_000, random: () => Math.random() };

export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = error as Error & { $fault?: string; $retryable?: unknown; code?: unknown };
  return (
    THROTTLING.has(error.name) ||
    TRANSIENT.has(error.name) ||
    (typeof meta.code === 'string' && NETWORK_CODES.has(meta.code)) ||
    meta.$fault === 'server' ||
    meta.$retryable !== undefined
  );
}

/** A network error: the call may have taken effect although the caller never saw its answer. */
export function isLostAnswer(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  return TRANSIENT.has(error.name) || (typeof code === 'string' && NETWORK_CODES.has(code));
}

export function backoffMs(attempt: number, options: RetryOptions = defaults): number {
  return Math.floor(options.random() * Math.min(options.capMs, options.baseMs * 2 ** attempt));
}

function errorName(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && error.name === 'Error' ? code : error.name;
}

export async function withRetries<T>(call: () => Promise<T>, options: Partial<RetryOptions> & RetryLabel = {}): Promise<T> {
  const { operation, ...rest } = options;
  const opts = { ...defaults, ...rest };
  const what = operation ?? 'AWS call';
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      const name = errorName(error);
      if (attempt + 1 >= opts.attempts) {
        logger.warn(`${what} failed with ${name} after ${opts.attempts} attempts: giving up`, { operation, error: name, attempt: attempt + 1, attempts: opts.attempts });
        throw error;
      }
      const delayMs = backoffMs(attempt, opts);
      logger.warn(`${what} failed with ${name}: retry ${attempt + 1} of ${opts.attempts - 1} in ${delayMs} ms`, { operation, error: name, attempt: attempt + 1, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
