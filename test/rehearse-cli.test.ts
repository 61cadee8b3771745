import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TSX } from './support/tsx.js';

/** `npm start -- …` as a user runs it: the real command, its output and its exit code. */
function start(...args: string[]) {
  const run = spawnSync(TSX, ['--no-warnings', 'local/rehearse.ts', ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe('npm start', () => {
  it('rehearses the sample, shows every stage in the timeline, and exits 0', () => {
    const { code, out } = start();

    expect(code).toBe(0);
    for (const stage of ['image build started', 'AMI ami-', 'Fast Launch enabling', 'launch template', 'instance refresh started', 'notification: All nodes patched'])
      expect(out).toContain(stage);
    expect(out).toMatch(/Node groups patched: 5\nInstances replaced: 14\n/);
  });

  it('exits non-zero after an injected build failure, with the stage and the cause in the notification', () => {
    const { code, out } = start('--scenario', 'local/scenarios/build-failure.yml', '--json');

    expect(code).toBe(1);
    const summary = JSON.parse(out) as { status: string; notifications: { subject: string }[] };
    expect(summary.status).toBe('FAILED');
    expect(summary.notifications.map((n) => n.subject)).toEqual(expect.arrayContaining([expect.stringMatching(/^FAILED image build for /)]));
  });

  it('refuses an invalid config before anything runs, naming the field, with exit code 2', () => {
    const { code, out, err } = start('--scenario', 'test/fixtures/bad-config.scenario.yml');

    expect(code).toBe(2);
    expect(err).toContain('variants[0].kubernetes: use the EKS minor version as a quoted string');
    expect(out).not.toContain('notification');
  });

  it('--trace writes every AWS call as one JSON object per line', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'trace-')), 'calls.jsonl');
    const { code } = start('--json', '--trace', file);

    expect(code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(50);
    // Lambda log lines are traced too: at log level SILENT only the metrics' EMF lines (README "Dashboard").
    for (const l of lines.filter((x) => 'log' in x)) expect((l.log as Record<string, unknown>)._aws).toBeDefined();
    for (const l of lines.filter((x) => !('log' in x))) {
      expect(Object.keys(l).filter((k) => k !== 'error').sort()).toEqual(['input', 'operation', 'service', 't']);
      expect(['EC2', 'AutoScaling', 'Imagebuilder', 'SSM', 'SNS', 'SFN', 'S3', 'ServiceQuotas']).toContain(l.service);
      expect(String(l.t)).toMatch(/^2026-11-15T/);
    }
    const publish = lines.find((l) => l.operation === 'Publish');
    expect(publish?.input).toMatchObject({ Subject: expect.stringMatching(/^Patch run started/) });
    expect(lines.some((l) => l.operation === 'StartInstanceRefresh' && (l.input as { AutoScalingGroupName?: string }).AutoScalingGroupName === 'eks-win2022-canary')).toBe(true);
  });
});
