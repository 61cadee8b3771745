/**
 * Retries are ours (lib/aws/retry.ts): one place that backs off with full jitter,
 * tested, instead of two stacked layers.
 */
export const clientOptions = { maxAttempts: 1 };
