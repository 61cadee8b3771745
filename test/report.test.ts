import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TSX } from './support/tsx.js';
import { renderPicture } from '../lib/report/html.js';
import { buildPicture, type GroupTimeline } from '../lib/report/picture.js';
import { rehearsalPicture } from '../local/report.js';
import { loadScenario, rehearse, rehearseFleet } from './support/rehearse.js';

/** The page's structure read without a browser: rows (data-row), bars (data-kind), markers (data-marker). */
function structure(html: string) {
  const rows = [...html.matchAll(/<div class="row level-(\w+)" data-row="([^"]+)"/g)].map((m) => ({ level: m[1], id: m[2] }));
  const bars = [...html.matchAll(/<div class="bar k-(\w+)( failed)?" data-kind="\w+" data-row="([^"]+)"[^>]*data-tip="([^"]*)"/g)].map((m) => ({ kind: m[1], failed: m[2] !== undefined, row: m[3] ?? '', tip: m[4] ?? '' }));
  const markers = [...html.matchAll(/data-marker="(\w+)"/g)].map((m) => m[1]);
  return { rows, bars, markers };
}

describe('npm start -- --report', () => {
  it('draws the canary failure: a row per variant and group, the rollback, the failed phase, every notification', async () => {
    const report = await rehearse(loadScenario('local/scenarios/canary-failure.yml'));
    const html = renderPicture(await rehearsalPicture(report, { title: 'canary failure' }));
    const { rows, bars, markers } = structure(html);

    expect(rows.map((r) => r.id)).toEqual([
      'run',
      'variant:win2022-core-131',
      ...['canary-a', 'canary-b', 'web-a', 'web-b', 'api-a', 'api-b', 'jobs-a', 'jobs-b'].map((g) => `group:win2022-core-131:eks-win2022-${g}`),
    ]);
    const variant = bars.filter((b) => b.row === 'variant:win2022-core-131');
    expect(variant.map((b) => b.kind)).toEqual(['image', 'fastlaunch', 'rollout', 'recover', 'wave']);
    expect(variant.find((b) => b.kind === 'rollout')?.failed).toBe(true);
    expect(variant.filter((b) => b.kind !== 'rollout').every((b) => !b.failed)).toBe(true);
    const canaryA = bars.filter((b) => b.row === 'group:win2022-core-131:eks-win2022-canary-a');
    expect(canaryA.filter((b) => b.kind === 'rollback')).toHaveLength(1);
    expect(canaryA.find((b) => b.kind === 'refresh')).toMatchObject({ failed: true, tip: expect.stringMatching(/^instance refresh: Rollback/) });
    expect(bars.filter((b) => b.row === 'group:win2022-core-131:eks-win2022-canary-b').map((b) => b.kind)).toContain('refresh');
    // The six groups after the canary are never touched: empty rows.
    expect(bars.filter((b) => /(web|api|jobs)-/.test(b.row))).toEqual([]);
    expect(markers.filter((m) => m === 'notification')).toHaveLength(report.notifications.length);
    expect(markers).toContain('failure');
    // Self-contained: nothing to fetch, a policy that forbids it.
    expect(html).toContain(`content="default-src 'none'`);
    expect(html).not.toMatch(/(src|href)=|url\(|@import|https?:\/\/(?!www\.w3)/);
  });

  it('shows readiness gates and drains of a cluster\'s nodes as bars, one per lifecycle action', async () => {
    const report = await rehearse(loadScenario('local/scenarios/kubernetes-pdb.yml'));
    const { bars } = structure(renderPicture(await rehearsalPicture(report, { title: 'pdb' })));
    const actions = report.account.lifecycleActions().filter((a) => a.startedAt >= report.startedAt);
    expect(actions.length).toBeGreaterThan(0);
    expect(bars.filter((b) => b.kind === 'gate')).toHaveLength(actions.filter((a) => a.transition.includes('LAUNCHING')).length);
    expect(bars.filter((b) => b.kind === 'drain')).toHaveLength(actions.filter((a) => a.transition.includes('TERMINATING')).length);
    // Every new instance is in exactly one batch.
    const launched = report.account.instanceHistory().filter((i) => i.launchedAt >= report.startedAt).length;
    expect(bars.filter((b) => b.kind === 'batch').reduce((n, b) => n + Number(/: (\d+) instance/.exec(b.tip)?.[1]), 0)).toBe(launched);
  });

  it('folds node groups into a row per wave when there are more than maxGroupRows, every group in one wave', async () => {
    const report = await rehearseFleet({ nodeGroups: 16, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], waveSize: 5 });
    const picture = await rehearsalPicture(report, { title: 'waves', maxGroupRows: 6 });
    const { rows, bars } = structure(renderPicture(picture));
    expect(picture.collapsed).toBe(true);
    expect(rows.some((r) => r.level === 'group')).toBe(false);
    const waves = rows.filter((r) => r.level === 'wave');
    expect(waves.length).toBeGreaterThan(1);
    const counts = bars.filter((b) => b.kind === 'wave').map((b) => Number(/: (\d+) node group/.exec(b.tip)?.[1]));
    expect(counts).toHaveLength(waves.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(16);
  });

  it('keeps 1,000 groups over 4 variants to a few dozen rows', () => {
    const t0 = Date.parse('2026-11-15T09:00:00Z');
    const minute = 60_000;
    const variants = ['a', 'b', 'c', 'd'].map((v) => ({
      variant: v,
      entries: [
        { state: 'BuildPatchedImage', t: t0 },
        { state: 'EnableFastLaunch', t: t0 + 60 * minute },
        ...Array.from({ length: 8 }, (_, w) => ({ state: 'UpdateLaunchTemplates', t: t0 + (90 + w * 30) * minute })),
        { state: 'RetireOldImages', t: t0 + 330 * minute },
      ],
      end: t0 + 335 * minute,
      markers: [],
    }));
    const groups: GroupTimeline[] = Array.from({ length: 1000 }, (_, i) => {
      const wave = i % 250 < 2 ? 0 : 1 + Math.floor(((i % 250) - 2) / 36);
      const s = t0 + (91 + wave * 30) * minute;
      return { variant: ['a', 'b', 'c', 'd'][Math.floor(i / 250)] as string, name: `eks-${'x'.repeat(70)}-${i}`, bars: [{ kind: 'refresh', start: s, end: s + 20 * minute, label: 'r' }], markers: [] };
    });
    const picture = buildPicture({ title: 't', subtitle: 's', start: t0, end: t0 + 335 * minute, run: { bars: [], markers: [] }, variants, groups });
    expect(picture.collapsed).toBe(true);
    expect(picture.rows).toHaveLength(1 + 4 * (1 + 8));
    const html = renderPicture(picture);
    expect(structure(html).rows).toHaveLength(37);
    expect(html.length).toBeLessThan(100_000);
  });

  it('the CLI writes the page and says where', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'report-')), 'run.html');
    const run = spawnSync(TSX, ['--no-warnings', 'local/rehearse.ts', '--report', file], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Picture of the run written to ${file}`);
    expect(structure(readFileSync(file, 'utf8')).rows.filter((r) => r.level === 'group').length).toBeGreaterThan(0);
  });
});
