import { describe, expect, it } from 'vitest';
import type { VariantOutcome } from '../lib/notify/summary.js';
import { generateScenario, rehearse } from './support/rehearse.js';

const ONE = [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }] as const;
const LIMIT = 262_144;

describe('the local runner', () => {
  it("fails an execution whose state data exceeds Step Functions' 256 KB, as AWS does (States.DataLimitExceeded)", async () => {
    // The operator's own input is the one thing a state carries whole: 3,100 node groups named in input.nodeGroups
    // (80 characters each) fit StartExecution's 256 KB, but not next to the plan.
    const scenario = generateScenario({ nodeGroups: 3100, nameLength: 80, variants: [...ONE], waveSize: 100 });
    const names = scenario.fleet.autoScalingGroups.map((g) => g.name);
    scenario.input = { dryRun: true, nodeGroups: names };
    expect(Buffer.byteLength(JSON.stringify(scenario.input))).toBeLessThan(LIMIT);

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    expect(report.run.error?.Error).toBe('States.DataLimitExceeded');
    expect(report.run.error?.Cause).toMatch(/over the 262144-byte limit/);
  }, 120_000);

  it('rehearses 1,000 node groups with 80-character names end to end and succeeds', async () => {
    const scenario = generateScenario({ nodeGroups: 1000, nameLength: 80, variants: [...ONE], waveSize: 100 });
    expect(new Set(scenario.fleet.autoScalingGroups.map((g) => g.name.length))).toEqual(new Set([80]));

    const report = await rehearse(scenario);

    expect(report.status).toBe('SUCCEEDED');
    const [result] = report.run.output as { variantId: string; output: VariantOutcome }[];
    expect(result?.output.counts?.patched).toBe(1000);
    // Every group's every instance runs the new AMI: the rollout really happened, not just its bookkeeping.
    const amiId = result?.output.amiId as string;
    for (const g of scenario.fleet.autoScalingGroups) expect(report.account.instances(g.name).every((i) => i.imageId === amiId), g.name).toBe(true);
    expect(report.notifications.at(-1)?.message).toContain('patched (1000): ');
    for (const e of report.executions) expect(e.maxStateBytes, e.label).toBeLessThan(LIMIT);
  }, 180_000);

  it("keeps a wave's state under 256 KB when every group of it waits for someone else's refresh (each with its reason and retry time)", async () => {
    // Progressive waves: the largest (128 groups) are cut to the state budget a wave may hold (lib/store/wave-budget.ts).
    const scenario = generateScenario({ nodeGroups: 400, nameLength: 80, variants: [...ONE], config: { rollout: {} } });
    const groups = scenario.fleet.autoScalingGroups.map((g) => g.name);
    // Every group but the canary is busy until long after its wave started: tried busyRetries + 1 times, then skipped.
    scenario.faults = groups.slice(1).map((asgName) => ({ kind: 'refreshInProgress' as const, asgName, minutes: 24 * 60 }));

    const report = await rehearse(scenario);

    expect(report.status).toBe('SUCCEEDED');
    const refused = report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && c.error === 'InstanceRefreshInProgressFault');
    expect(refused).toHaveLength((groups.length - 1) * (scenario.config.rollout.busyRetries + 1));
    for (const e of report.executions) expect(e.maxStateBytes, e.label).toBeLessThan(LIMIT);
  }, 180_000);
});
