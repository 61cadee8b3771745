import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../lib/plan/types.js';
import { generateScenario, loadScenario, rehearse, type RehearsalReport } from './support/rehearse.js';

/**
 * Issue 11 item 2: each variant's AMI parameter, which Karpenter's EC2NodeClass (ssmParameter amiSelectorTerm)
 * and node group templates (resolve:ssm:, AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>) follow.
 */
const VARIANT = 'win2022-core-131';
const NAME = `/eks-windows-patch/rehearsal/${VARIANT}/image_id`;
const OLD_AMI = 'ami-b0000000000000001';
const groups = (n: number) => Array.from({ length: n }, (_, i) => `ng-${VARIANT}-${String(i).padStart(4, '0')}`);

/** Three groups, one per wave (canary first); the parameter holds the groups' current AMI unless `seeded` is false. */
function scenario(opts: { faults?: Parameters<typeof generateScenario>[0]['faults']; seeded?: boolean; input?: Record<string, unknown> } = {}) {
  const s = generateScenario({ nodeGroups: 3, waveSize: 1, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], faults: opts.faults ?? [], ...(opts.input && { input: opts.input }) });
  if (opts.seeded !== false) s.fleet.ssmParameters[NAME] = OLD_AMI;
  return s;
}
const refreshFailure = (asgName: string) => ({ kind: 'refreshFailure' as const, asgName, atPercent: 50, reason: 'health checks failed' });

/** The state machine's own calls on the parameter (Lambdas never touch it). */
const parameterWrites = (r: RehearsalReport) => r.calls.filter((c) => /^(Put|Delete)Parameter$/.test(c.operation) && (c.input as { Name?: string }).Name === NAME);
const failureNotice = (r: RehearsalReport) => r.notifications.find((n) => n.subject?.startsWith('FAILED'))?.message ?? '';

describe("a variant's AMI parameter", () => {
  it('holds the new AMI after a successful run, written once, as an aws:ec2:image parameter', async () => {
    const report = await rehearse(scenario());

    expect(report.status).toBe('SUCCEEDED');
    const newAmi = report.account.asg(groups(3)[0] as string).imageId;
    expect(newAmi).not.toBe(OLD_AMI);
    expect(report.account.parameter(NAME)).toEqual({ value: newAmi, dataType: 'aws:ec2:image', version: 2 });
    expect(parameterWrites(report).map((c) => [c.fn, c.operation, (c.input as { Value: string }).Value])).toEqual([['states', 'PutParameter', newAmi]]);
  });

  it('is never written when the canary wave fails: it still holds the previous AMI', async () => {
    const report = await rehearse(scenario({ faults: [refreshFailure(groups(1)[0] as string)] }));

    expect(report.status).toBe('FAILED');
    expect(parameterWrites(report)).toEqual([]);
    expect(report.account.parameter(NAME)).toEqual({ value: OLD_AMI, dataType: 'aws:ec2:image', version: 1 });
    expect(failureNotice(report)).toContain(`AMI parameter ${NAME}: not changed by this run (it holds ${OLD_AMI})`);
  });

  it('is set back to the previous AMI when a later wave fails after the canary passed, and the notice says so', async () => {
    const report = await rehearse(scenario({ faults: [refreshFailure(groups(3)[2] as string)] }));

    expect(report.status).toBe('FAILED');
    const newAmi = report.account.asg(groups(1)[0] as string).imageId;
    expect(parameterWrites(report).map((c) => (c.input as { Value: string }).Value)).toEqual([newAmi, OLD_AMI]);
    expect(report.account.parameter(NAME)).toEqual({ value: OLD_AMI, dataType: 'aws:ec2:image', version: 3 });
    expect(failureNotice(report)).toContain(`AMI parameter ${NAME}: set back to ${OLD_AMI} (version 3); this run had moved it to ${newAmi} after the canary wave.`);
  });

  it('is deleted again when it did not exist before a run whose later wave failed', async () => {
    const report = await rehearse(scenario({ seeded: false, faults: [refreshFailure(groups(3)[2] as string)] }));

    expect(report.status).toBe('FAILED');
    expect(parameterWrites(report).map((c) => c.operation)).toEqual(['PutParameter', 'DeleteParameter']);
    expect(report.account.parameter(NAME)).toBeUndefined();
    expect(failureNotice(report)).toContain(`AMI parameter ${NAME}: deleted again`);
  });

  it('is written right after the image for a variant without node groups (Karpenter only)', async () => {
    // The child execution as the plan starts it for a variant whose config lists `nodeGroups: []`: no waves.
    const report = await rehearse(scenario(), {
      start: async (runner) => {
        const planned = await runner.startRun('plan', { dryRun: true });
        const plan = planned.output as RunPlan;
        const { waves: _planned, ...header } = plan.variants[0] as RunPlan['variants'][number] & { waves?: unknown };
        const variant = { ...header, waveCount: 0, groupCount: 0, rounds: [], canaryFirst: false, groupList: '[]', childName: 'karpenter-only' };
        const run = { executionName: 'karpenter-only', startTime: new Date().toISOString(), reason: 'test' };
        const sfn = new SFNClient({ region: 'us-west-2' });
        const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: runner.arns.stateMachine('patch-variant'), name: 'karpenter-only', input: JSON.stringify({ run, variant }) }));
        return runner.completion(out.executionArn as string);
      },
    });

    const child = report.executions.find((e) => e.name === 'karpenter-only');
    expect(child?.status).toBe('SUCCEEDED');
    const built = report.account.images().find((i) => i.status === 'AVAILABLE')?.amiId;
    expect(built).toMatch(/^ami-/);
    expect(report.account.parameter(NAME)).toEqual({ value: built, dataType: 'aws:ec2:image', version: 2 });
    for (const g of groups(3)) expect(report.account.asg(g).imageId).toBe(OLD_AMI);
  });

  it('is never written by a dry-run or a build-only run', async () => {
    for (const input of [{ dryRun: true }, { stages: ['build', 'fastLaunch'] }]) {
      const report = await rehearse(scenario({ input }));

      expect(report.status, JSON.stringify(input)).toBe('SUCCEEDED');
      expect(parameterWrites(report), JSON.stringify(input)).toEqual([]);
      expect(report.account.parameter(NAME)).toEqual({ value: OLD_AMI, dataType: 'aws:ec2:image', version: 1 });
    }
  });
});

describe("the state machine's Parameter Store calls", () => {
  it('retry on throttling (Ssm.ThrottlingException) and still write the parameter once', async () => {
    const report = await rehearse(scenario({ faults: [{ kind: 'throttle', rate: 0.5, operations: ['GetParameter', 'PutParameter'] }] }));

    expect(report.status).toBe('SUCCEEDED');
    const throttled = report.calls.filter((c) => c.fn === 'states' && c.service === 'SSM' && c.error === 'ThrottlingException');
    expect(throttled.length).toBeGreaterThan(0);
    expect(parameterWrites(report).filter((c) => !c.error)).toHaveLength(1);
    expect(report.account.parameter(NAME)?.version).toBe(2);
  });
});

describe('a Karpenter-only variant from config (nodeGroups: [])', () => {
  it('builds the AMI, moves its parameter, touches no group, and records the release so it is not offered again', async () => {
    const s = loadScenario('local/scenarios/kubernetes-pdb.yml');
    (s.config.variants[0] as { nodeGroups: unknown[] }).nodeGroups = [];
    const r = await rehearse(s, { logLevel: 'SILENT' });

    expect(r.status).toBe('SUCCEEDED');
    expect(r.calls.filter((c) => c.operation === 'StartInstanceRefresh' || c.operation === 'CreateLaunchTemplateVersion')).toEqual([]);
    const put = r.calls.filter((c) => c.operation === 'PutParameter' && !c.error).map((c) => (c.input as { Name: string; Value: string }));
    const amiId = put.find((p) => p.Name.endsWith('/win2022-core-131/image_id'))?.Value;
    expect(amiId).toMatch(/^ami-/);
    expect(amiId).not.toBe('ami-0b2022c0000000001');
    expect(put.find((p) => p.Name.endsWith('/win2022-core-131/last-source-ami'))?.Value).toBe('ami-0a2022c0000000001');
  });
});
