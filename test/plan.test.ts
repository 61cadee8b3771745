import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { blockingRuns, coverage, type ActiveRun } from '../lib/plan/busy.js';
import type { LocalStepFunctions } from '../local/runner.js';
import { callsOf, generateScenario, loadScenario, rehearse, touched, type RehearsalReport } from './support/rehearse.js';

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

const planFailure = (report: RehearsalReport) => report.notifications.find((n) => n.subject?.startsWith('FAILED plan'))?.message ?? '';

describe('one node group, one variant', () => {
  it('refuses an ASG that tag selectors of two variants both match, naming the ASG and both variants, and writes nothing', async () => {
    const tagsOf = (i: number): Record<string, string> => (i === 1 ? { team: 'payments' } : { pool: String(i % 2) });
    const scenario = generateScenario({ nodeGroups: 4, asg: (i) => ({ tags: tagsOf(i) }) });
    const [first, second] = scenario.config.variants;
    if (!first || !second) throw new Error('expected two variants');
    first.nodeGroups = [{ tag: { key: 'pool', value: '0' }, canary: false }, { tag: { key: 'team', value: 'payments' }, canary: false }];
    second.nodeGroups = [{ tag: { key: 'pool', value: '1' }, canary: false }, { tag: { key: 'team', value: 'payments' }, canary: false }];

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain('Auto Scaling group "ng-win2019-core-131-0001" is selected by variants win2022-core-131 and win2019-core-131');
    expect(touched(report)).toEqual([]);
  });
});

describe('an explicit AMI belongs to the variant', () => {
  /** November's full run builds one AMI per variant; then a rollout-only rerun for win2019 with the AMI of `amiOf`. */
  const rerunWith = (amiOf: string) => async (runner: LocalStepFunctions) => {
    const november = await runner.startRun('november', {});
    const built = (november.output as { variantId: string; output?: { amiId: string } }[]).find((o) => o.variantId === amiOf)?.output?.amiId;
    await runner.startRun('rerun', { variants: ['win2019-core-131'], stages: ['rollout'], amiId: built, reason: 'rerun' });
  };
  const rerun = (report: RehearsalReport) => report.executions.find((e) => e.name === 'rerun');

  it('refuses a rollout-only run whose amiId was built for another variant, naming the AMI, its tag and the variant', async () => {
    const report = await rehearse(generateScenario({ nodeGroups: 2 }), { start: rerunWith('win2022-core-131') });

    expect(rerun(report)?.status).toBe('FAILED');
    expect(planFailure(report)).toMatch(/input\.amiId: AMI ami-\w+ \(.*\) is tagged eks-windows-patch:variant=win2022-core-131, but the run is for variant win2019-core-131/);
    expect(callsOf(report, 'StartInstanceRefresh')).toHaveLength(2); // November's two groups, none from the rerun
  });

  it('rolls out an amiId built for the same variant', async () => {
    const report = await rehearse(generateScenario({ nodeGroups: 2 }), { start: rerunWith('win2019-core-131') });

    expect(rerun(report)?.error).toBeUndefined();
    expect(rerun(report)?.status).toBe('SUCCEEDED');
  });

  it('refuses an amiId this pipeline did not build', async () => {
    const scenario = generateScenario({ nodeGroups: 2, input: { variants: ['win2019-core-131'], stages: ['rollout'], amiId: 'ami-a0000000000000001' } });

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain('has no eks-windows-patch:variant tag (not built by this pipeline), but the run is for variant win2019-core-131');
    expect(touched(report)).toEqual([]);
  });

  it('refuses a baseAmi that is AWS\'s EKS-optimized AMI of another Windows version, naming both', async () => {
    const scenario = generateScenario({ nodeGroups: 2, input: { variants: ['win2019-core-131'], baseAmi: 'ami-a0000000000000001' } });

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(
      'input.baseAmi: AMI ami-a0000000000000001 (Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12) is Windows Server 2022 Core for Kubernetes 1.31, but variant win2019-core-131 is Windows Server 2019 Core for Kubernetes 1.31',
    );
    expect(touched(report)).toEqual([]);
  });

  it('refuses a baseAmi for another Kubernetes version', async () => {
    const scenario = generateScenario({ nodeGroups: 2, input: { variants: ['win2022-core-131'], baseAmi: 'ami-0e0e000000000000a' } });
    scenario.fleet.amis.push({ id: 'ami-0e0e000000000000a', name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.30-2026.10.15', platform: 'windows' });

    const report = await rehearse(scenario);

    expect(planFailure(report)).toContain('is Windows Server 2022 Core for Kubernetes 1.30, but variant win2022-core-131 is Windows Server 2022 Core for Kubernetes 1.31');
  });
});
