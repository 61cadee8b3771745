import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../lib/plan/types.js';
import { isFleetFacts, loadScenario, rehearse, writes } from './support/rehearse.js';

type State = Record<string, unknown> & { counter: number; published: unknown[]; executions: { name: string }[] };

describe('a dry-run', () => {
  it('leaves the simulated account exactly as it was, apart from its notification and its own execution record', async () => {
    const scenario = loadScenario('local/scenarios/sample.yml');
    scenario.input = { dryRun: true, reason: 'preview' };

    const report = await rehearse(scenario);

    const before = report.before as State;
    const after = report.account.snapshot() as State;
    const { published: p0, executions: e0, counter: c0, ...restBefore } = before;
    const { published: p1, executions: e1, counter: c1, ...restAfter } = after;
    expect(restAfter).toEqual(restBefore);
    expect(p1).toHaveLength(p0.length + 1);
    expect(e1.map((e) => e.name)).toEqual([...e0.map((e) => e.name), report.run.name]);
    expect(c1 - c0).toBe(2); // the ids of the one SNS message and of the fleet facts object (its ETag)
    // Its one write besides: ReadFleet's facts for the plan, in the stack's own run-state bucket (they expire with it).
    expect(writes(report).map((c) => (isFleetFacts(c) ? 'fleet facts' : c.operation))).toEqual(['StartExecution', 'fleet facts', 'Publish']);
  });

  it('sends the plan: variants, source AMI now and last built, node groups per wave, launch template versions, warnings', async () => {
    const scenario = loadScenario('local/scenarios/sample.yml');
    scenario.input = { dryRun: true };
    scenario.fleet.autoScalingGroups = scenario.fleet.autoScalingGroups.map((g) => (g.name === 'eks-win2019-legacy' ? { ...g, terminationHook: false } : g));

    const report = await rehearse(scenario);

    expect(report.status).toBe('SUCCEEDED');
    const [notice] = report.notifications;
    // The sample names no cluster: each variant warns that its groups get no readiness gate and no drain.
    expect(notice?.subject).toBe('Dry-run plan: 2 variant(s), 5 node group(s), 3 warning(s) (win2022-core-131, win2019-core-131)');
    expect(notice?.attributes).toEqual({
      severity: { DataType: 'String', StringValue: 'warning' },
      variant: { DataType: 'String.Array', StringValue: '["win2022-core-131","win2019-core-131"]' },
    });
    const message = notice?.message ?? '';
    expect(message).toContain('Nothing was changed');
    expect(message).toContain('source AMI now: ami-0a2022c0000000001 (last built from: never built)');
    expect(message).toMatch(/wave 1 \(canary\): 1 node group\(s\)\n {4}asg eks-win2022-canary: launch template lt-\w+ version 1 -> 2 \(new\), now on ami-0b2022c0000000001/);
    expect(message).toMatch(/wave 2: 2 node group\(s\)\n {4}asg eks-win2022-apps-a: launch template lt-\w+ version 2 -> 3 \(new\)/);
    expect(message).toMatch(/Warnings:\n(?: {2}- .*\n)* {2}- win2019-core-131: .*eks-win2019-legacy/);
    expect(message).toContain('- win2022-core-131: no EKS cluster known for 3 node group(s) (eks-win2022-canary, eks-win2022-apps-a, eks-win2022-apps-b): planned without readiness gate and drain');
  });

  it('returns the plan as the execution output', async () => {
    const scenario = loadScenario('local/scenarios/sample.yml');
    scenario.input = { dryRun: true, variants: ['win2019-core-131'] };

    const report = await rehearse(scenario);

    const plan = report.run.output as RunPlan;
    expect(plan.dryRun).toBe(true);
    expect(plan.variants.map((v) => v.id)).toEqual(['win2019-core-131']);
    expect(plan.variants[0]?.waves.map((w) => w.map((g) => `${g.asgName}@${g.version}`))).toEqual([['eks-win2019-canary@1'], ['eks-win2019-legacy@1']]);
    expect(plan.notice.message).toMatch(/asg eks-win2019-legacy: launch template lt-\w+ version 1 -> 2 \(new\)/);
    expect(plan.notice.message).toBe(report.notifications[0]?.message);
  });
});
