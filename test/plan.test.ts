import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { blockingRuns, coverage, type ActiveRun } from '../lib/plan/busy.js';
import type { LocalStepFunctions } from '../local/runner.js';
import { callsOf, loadScenario, rehearse, type RehearsalReport } from './support/rehearse.js';

const run = (name: string, startDate: string, variants: string[] | 'all', dryRun = false): ActiveRun => ({ executionName: name, startDate, variants, dryRun });
const me = { executionName: 'm', startTime: '2026-11-15T09:00:00.000Z', variants: ['a', 'b'] };

describe('which active runs hold this one back', () => {
  it('an earlier run that shares a variant', () => {
    expect(blockingRuns(me, [run('x', '2026-11-15T08:00:00.000Z', ['b', 'c'])])).toEqual([{ executionName: 'x', variants: ['b'] }]);
  });

  it('an earlier run over all variants', () => {
    expect(blockingRuns(me, [run('x', '2026-11-15T08:00:00.000Z', 'all')])).toEqual([{ executionName: 'x', variants: ['a', 'b'] }]);
  });

  it('not a later run, a dry-run, or a run over other variants', () => {
    const others = [run('later', '2026-11-15T10:00:00.000Z', 'all'), run('dry', '2026-11-15T08:00:00.000Z', 'all', true), run('other', '2026-11-15T08:00:00.000Z', ['c'])];
    expect(blockingRuns(me, others)).toEqual([]);
  });

  it('of two runs started in the same millisecond, exactly one waits', () => {
    const t = '2026-11-15T09:00:00.000Z';
    const first = blockingRuns({ ...me, executionName: 'a' }, [run('b', t, 'all')]);
    const second = blockingRuns({ ...me, executionName: 'b' }, [run('a', t, 'all')]);
    expect([first.length, second.length].sort()).toEqual([0, 1]);
  });

  it('reads a run\'s input: no variants means all, unreadable input counts as all', () => {
    expect(coverage('{"variants":["a"],"dryRun":true}')).toEqual({ variants: ['a'], dryRun: true });
    expect(coverage('{}')).toEqual({ variants: 'all', dryRun: false });
    expect(coverage('not json')).toEqual({ variants: 'all', dryRun: false });
  });
});

/** Starts two runs at the same simulated instant: "a-first" over every variant, then "b-second". */
function twoRuns(second: Record<string, unknown>) {
  return async (runner: LocalStepFunctions) => {
    const client = new SFNClient({ region: runner.names.region });
    const stateMachineArn = runner.arns.stateMachine('patch-run');
    await client.send(new StartExecutionCommand({ stateMachineArn, name: 'a-first', input: JSON.stringify({ reason: 'first' }) }));
    await client.send(new StartExecutionCommand({ stateMachineArn, name: 'b-second', input: JSON.stringify(second) }));
  };
}

const refreshesPerGroup = (report: RehearsalReport) => {
  const counts: Record<string, number> = {};
  for (const c of callsOf(report, 'StartInstanceRefresh')) counts[String(c.AutoScalingGroupName)] = (counts[String(c.AutoScalingGroupName)] ?? 0) + 1;
  return counts;
};
const execution = (report: RehearsalReport, name: string) => report.executions.find((e) => e.name === name);

describe('one run per variant at a time', () => {
  it('with whenBusy "skip", the later run ends cleanly without changes and no ASG is refreshed twice', async () => {
    const report = await rehearse(loadScenario('local/scenarios/sample.yml'), { start: twoRuns({ variants: ['win2022-core-131'], whenBusy: 'skip' }) });

    expect(execution(report, 'a-first')?.error).toBeUndefined();
    expect(execution(report, 'a-first')?.status).toBe('SUCCEEDED');
    expect(execution(report, 'b-second')).toMatchObject({ status: 'SUCCEEDED', output: { proceed: 'skip', busyWith: [{ executionName: 'a-first', variants: ['win2022-core-131'] }] } });
    expect(Object.values(refreshesPerGroup(report))).toEqual([1, 1, 1, 1, 1]);
    expect(report.notifications.map((n) => n.subject)).toContain('Patch run skipped: another run is active for win2022-core-131');
  });

  it('by default the later run waits; a release run then finds its release built by the other run and ends without a second refresh', async () => {
    const report = await rehearse(loadScenario('local/scenarios/sample.yml'), { start: twoRuns({ trigger: 'release', variants: ['win2022-core-131'] }) });

    const first = execution(report, 'a-first');
    const second = execution(report, 'b-second');
    expect(first?.status).toBe('SUCCEEDED');
    expect(second).toMatchObject({ status: 'SUCCEEDED', output: { proceed: 'skip', upToDate: [{ variantId: 'win2022-core-131' }], busyWith: [] } });
    expect(Object.values(refreshesPerGroup(report))).toEqual([1, 1, 1, 1, 1]);
    const skipped = report.notifications.find((n) => n.subject?.startsWith('Patch run skipped'));
    const summary = report.notifications.find((n) => n.subject?.startsWith('All nodes patched'));
    expect(skipped?.subject).toBe('Patch run skipped: already built for win2022-core-131');
    expect(Date.parse(skipped?.t ?? '')).toBeGreaterThan(Date.parse(summary?.t ?? ''));
  });

  it('a waiting manual run goes ahead after the other run, so refreshes of a group never overlap', async () => {
    const report = await rehearse(loadScenario('local/scenarios/sample.yml'), { start: twoRuns({ variants: ['win2019-core-131'] }) });

    expect(report.executions.filter((e) => e.stateMachine.endsWith('patch-run')).map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const starts = report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && !c.error && String((c.input as { AutoScalingGroupName: string }).AutoScalingGroupName) === 'eks-win2019-legacy');
    const firstSummary = report.notifications.find((n) => n.subject?.startsWith('All nodes patched'));
    expect(starts).toHaveLength(2);
    expect(Date.parse(starts[1]?.t ?? '')).toBeGreaterThan(Date.parse(firstSummary?.t ?? ''));
  });
});
