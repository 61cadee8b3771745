import { createHash } from 'node:crypto';

/**
 * Names and tokens derived from the execution, never from randomness: a retried
 * step (or a re-driven execution) finds exactly what it made the first time.
 */
const EXECUTION_NAME = /^[0-9A-Za-z_-]{1,80}$/;

export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** An execution name within Step Functions' rules: 1–80 of [0-9A-Za-z_-]; long parts keep a hash suffix. */
export function executionName(...parts: string[]): string {
  const cleaned = parts
    .map((p) => p.replace(/[^0-9A-Za-z_-]+/g, '-').replace(/^-+|-+$/g, ''))
    .filter(Boolean)
    .join('-');
  const name = cleaned || 'run';
  if (name.length <= 80) return name;
  return `${name.slice(0, 71).replace(/-+$/, '')}-${shortHash(name)}`;
}

export function isValidExecutionName(name: string): boolean {
  return EXECUTION_NAME.test(name);
}

/** Idempotency token for Image Builder (at most 36 characters) and EC2 (at most 64): 32 hex characters. */
export function clientToken(...parts: string[]): string {
  return shortHash(parts.join('|'), 32);
}

/**
 * Image Builder semantic version (each part 0–1073741823): the run's UTC date and a
 * hash of the execution, so every run gets a new version and a retry reuses its own.
 */
export function semanticVersion(startTime: string, executionName: string): string {
  const d = new Date(startTime);
  const minor = (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
  const patch = Number.parseInt(shortHash(executionName, 7), 16);
  return `${d.getUTCFullYear()}.${minor}.${patch}`;
}
