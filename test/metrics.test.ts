import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lastSuccessTimes } from '../lib/metrics/last-success.js';
import { daysSinceLastSuccess, METRICS_NAMESPACE, runStarted } from '../lib/metrics/points.js';
import { publishMetrics } from '../lib/metrics/publish.js';
import { summarize } from '../local/summary.js';
import { loadScenario, rehearse, type RehearsalReport } from './support/rehearse.js';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** Every EMF line the Lambdas wrote in a rehearsal, as (function, metric, variant, value, unit). */
function emitted(report: RehearsalReport) {
  return report.logs
    .filter((l) => typeof l._aws === 'object')
    .flatMap((l) => {
      const emf = l as unknown as Emf;
      const directive = emf._aws.CloudWatchMetrics[0];
      expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
      expect(directive?.Dimensions).toEqual([['stage', 'variant']]);
      return (directive?.Metrics ?? []).map((m) => ({ fn: l.fn, name: m.Name, unit: m.Unit, variant: emf.variant, stage: emf.stage, value: emf[m.Name] }));
    });
}

describe('pipeline metrics (Powertools Metrics, EMF)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a successful run: a start and a success per variant, its groups patched, image build and rollout durations', async () => {
    const report = await rehearse(loadScenario('local/scenarios/sample.yml'));
    expect(report.status).toBe('SUCCEEDED');
    const points = emitted(report);
    const variants = report.executions.filter((e) => e.label !== 'run' && !e.label.startsWith('hook:')).map((e) => e.label).sort();
    expect(variants.length).toBeGreaterThan(1);
    const of = (name: string) => points.filter((p) => p.name === name).sort((a, b) => String(a.variant).localeCompare(String(b.variant)));
    expect(points.every((p) => p.stage === 'rehearsal')).toBe(true);
    expect(of('ExecutionsStarted').map((p) => [p.fn, p.variant, p.value])).toEqual(variants.map((v) => ['planRun', v, 1]));
    expect(of('ExecutionsSucceeded').map((p) => [p.fn, p.variant, p.value])).toEqual(variants.map((v) => ['recordSuccess', v, 1]));
    expect(of('ExecutionsFailed')).toEqual([]);
    // Patched per variant as the summary counts them.
    const patched = summarize(report).variants.map((v) => [v.variant, v.patched.length]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(patched.every(([, n]) => Number(n) > 0)).toBe(true);
    expect(of('NodeGroupsPatched').map((p) => [p.variant, p.value])).toEqual(patched);
    for (const name of ['ImageBuildSeconds', 'RolloutSeconds']) {
      expect(of(name).map((p) => p.variant)).toEqual(variants);
      expect(of(name).every((p) => p.unit === 'Seconds' && typeof p.value === 'number' && p.value > 60)).toBe(true);
    }
  });

  it('a canary that rolls back: the variant failed, with its one failed group', async () => {
    const report = await rehearse(loadScenario('local/scenarios/canary-failure.yml'));
    const points = emitted(report);
    expect(points.filter((p) => p.name === 'ExecutionsFailed').map((p) => [p.fn, p.variant, p.value])).toEqual([['reportVariantFailure', 'win2022-core-131', 1]]);
    expect(points.filter((p) => p.name === 'NodeGroupsFailed').map((p) => p.value)).toEqual([1]);
    expect(points.filter((p) => p.name === 'ExecutionsSucceeded' || p.name === 'RolloutSeconds')).toEqual([]);
  });

  it('a dry run or a run waiting for another starts nothing', () => {
    const variants = [{ id: 'a' }];
    expect(runStarted({ dryRun: true, proceed: 'now', variants })).toEqual([]);
    expect(runStarted({ dryRun: false, proceed: 'wait', variants })).toEqual([]);
    expect(runStarted({ dryRun: false, proceed: 'now', variants })).toEqual([{ name: 'ExecutionsStarted', variant: 'a', value: 1 }]);
  });

  it('days since the last success from the last-source-ami parameter; nothing for a variant never patched', async () => {
    const ssm = mockClient(SSMClient);
    ssm.on(GetParametersCommand).resolves({ Parameters: [{ Name: '/p/a/last-source-ami', Value: 'ami-1', LastModifiedDate: new Date('2026-11-01T00:00:00Z') }], InvalidParameters: ['/p/b/last-source-ami'] });
    const last = await lastSuccessTimes('/p', ['a', 'b']);
    ssm.restore();
    expect(daysSinceLastSuccess(last, Date.parse('2026-11-15T12:00:00Z'))).toEqual([{ name: 'DaysSinceLastSuccess', variant: 'a', value: 14.5 }]);
  });

  it('publishes one EMF line per variant, dimensions stage and variant only', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    publishMetrics('prod', [
      { name: 'NodeGroupsPatched', variant: 'a', value: 3 },
      { name: 'ExecutionsSucceeded', variant: 'a', value: 1 },
      { name: 'NodeGroupsPatched', variant: 'b', value: 2 },
    ]);
    vi.restoreAllMocks();
    const emf = lines.map((l) => JSON.parse(l) as Emf);
    expect(emf.map((e) => [e.stage, e.variant, e.NodeGroupsPatched, e.ExecutionsSucceeded])).toEqual([
      ['prod', 'a', 3, 1],
      ['prod', 'b', 2, undefined],
    ]);
    expect(emf.every((e) => JSON.stringify(e._aws.CloudWatchMetrics[0]?.Dimensions) === '[["stage","variant"]]' && !('service' in e))).toBe(true);
  });
});
