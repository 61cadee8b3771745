import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TSX } from './support/tsx.js';

/** `npm start -- …` as a user runs it: the real command, its output and its exit code. */
function start(...args: string[]) {
  const run = spawnSync(TSX, ['--no-warnings', 'local/rehearse.ts', ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe('npm start output', () => {
  it('--notifications prints every notification whole: subject and the exact message sent', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'notes-')), 'calls.jsonl');
    const { code, out } = start('--notifications', '--trace', file);

    expect(code).toBe(0);
    const published = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { operation?: string; input?: { Subject?: string; Message?: string } }).filter((l) => l.operation === 'Publish');
    expect(published.length).toBeGreaterThan(3);
    const full = out.slice(out.indexOf('Notifications in full:'));
    for (const p of published) {
      expect(full).toContain(`Subject: ${p.input?.Subject}\n\n${String(p.input?.Message).trimEnd()}\n`);
    }
    expect(full.match(/^Subject: /gm)).toHaveLength(published.length);
  }, 120_000);

  it('--json carries each failed variant\'s error and whole cause', () => {
    const json = start('--scenario', 'local/scenarios/build-failure.yml', '--json');
    expect(json.code).toBe(1);
    const summary = JSON.parse(json.out) as { variants: { variant: string; status: string; error: string | null }[] };
    expect(summary.variants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ variant: 'win2022-core-131', status: 'FAILED', error: expect.stringMatching(/^VariantFailed: image build failed: .*update-windows exited with 0x80070643.*\(build logs: CloudWatch log group \/aws\/imagebuilder\//) }),
        expect.objectContaining({ variant: 'win2019-core-131', status: 'SUCCEEDED', error: null }),
      ]),
    );
  }, 120_000);
});

describe('output piped into a slow reader is complete', () => {
  // The reader takes one byte, then waits a second before reading on: a pipe holds 65,536 bytes, so whatever a
  // process still has queued when it exits is lost. The same 200,000 bytes through process.exit() show the cut.
  const script = (exit: string) => `process.stdout.write('x'.repeat(200000) + '\\n'); ${exit}`;
  const piped = (exit: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'pipe-'));
    writeFileSync(join(dir, 'write.mts'), `import { exitWhenWritten } from ${JSON.stringify(join(process.cwd(), 'local/exit.ts'))};\n${script(exit)}\n`);
    const run = spawnSync('sh', ['-c', `${TSX} ${join(dir, 'write.mts')} | (dd bs=1 count=1 2>/dev/null; sleep 1; cat) | wc -c`], { encoding: 'utf8', timeout: 60_000 });
    return Number(run.stdout.trim());
  };

  it('exitWhenWritten waits for stdout to drain; process.exit() does not', () => {
    expect(piped('process.exit(0);')).toBe(65_536);
    expect(piped('await exitWhenWritten(0);')).toBe(200_001);
  }, 60_000);

  it('npm start and npm run invoke end through it, never process.exit() after their output', () => {
    for (const file of ['local/rehearse.ts', 'local/invoke.ts']) {
      const source = readFileSync(file, 'utf8');
      expect(source).toContain('await exitWhenWritten(');
      expect(source.slice(source.lastIndexOf('process.stdout.write'))).not.toContain('process.exit(');
    }
  });
});
