import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseConfig } from '../../lib/config.js';
import { ConfigError } from '../../lib/errors.js';

/** The sample config the tests start from (events/ci.config.yml: fixtures never read the operator's own file). */
export const sample = () => parse(readFileSync('events/ci.config.yml', 'utf8')) as Record<string, unknown> & { variants: Record<string, unknown>[] };

/** The config's problems, one line each, as the operator would read them ([] when it is valid). */
export function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, 'events/ci.config.yml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
