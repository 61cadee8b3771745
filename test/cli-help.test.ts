import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TSX } from './support/tsx.js';

/** Every script the README names answers --help with its usage and exit 0, before it parses or runs anything. */
const SCRIPTS: [string, string[]][] = [
  ['npm start', ['local/rehearse.ts', '--help']],
  ['npm run patch', ['scripts/cli.ts', 'patch', '--help']],
  ['npm run status', ['scripts/cli.ts', 'status', '-h']],
  ['npm run invoke', ['local/invoke.ts', '--help']],
  ['npm run fuzz', ['bench/fuzz.ts', '--help']],
  ['npm run bench', ['bench/run.ts', '--help']],
  ['npm run report', ['scripts/report.ts', '--help']],
  ['npm run retention', ['scripts/retention.ts', '--help']],
];

describe('--help', () => {
  it.each(SCRIPTS)('%s prints its usage and exits 0', (name, args) => {
    const run = spawnSync(TSX, ['--no-warnings', ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.startsWith('Usage:')).toBe(true);
    expect(run.stdout).toContain(name);
    expect(run.stderr).not.toMatch(/ERR_PARSE_ARGS|Error/);
  });
});
