import { describe, expect, it } from 'vitest';
import { DEFAULT_VARIANTS } from '../../local/generate.js';
import type { Fault } from '../../local/sim/fleet.js';
import { summarize } from '../../local/summary.js';
import { generateScenario, rehearse, type FleetSpec, type RehearsalReport } from '../support/rehearse.js';

/** One variant, three node groups (one canary) in waves of two. */
const VARIANT = 'win2022-core-131';
const ng = (i: number) => `ng-${VARIANT}-${String(i).padStart(4, '0')}`;
const GROUPS = [0, 1, 2].map(ng);
const spec = (faults: Fault[], over: Partial<FleetSpec> = {}): FleetSpec => ({ variants: [DEFAULT_VARIANTS[0] as NonNullable<FleetSpec['variants']>[number]], nodeGroups: 3, waveSize: 2, faults, ...over });
const run = (faults: Fault[], over: Partial<FleetSpec> = {}) => rehearse(generateScenario(spec(faults, over)), { logLevel: 'INFO' });

type State = {
  refreshes: { asgName: string }[];
  launchTemplates: Record<string, { name: string; versions: unknown[] }>;
  images: Record<string, { recipeArn: string; amiId: string }>;
  fastLaunch: Record<string, unknown>;
  tags: Record<string, Record<string, string>>;
};
const stateOf = (report: RehearsalReport) => report.account.snapshot() as State;
const lostCalls = (report: RehearsalReport, operation: string) => report.calls.filter((c) => c.operation === operation && c.tookEffect);
const newAmiOf = (report: RehearsalReport) => Object.values(stateOf(report).images)[0]?.amiId;
const everyInstanceOn = (report: RehearsalReport, amiId: string | undefined) => GROUPS.every((g) => report.account.instances(g).every((i) => i.imageId === amiId));

describe('lost answers: the call takes effect, the caller sees a network error', () => {
  it('still yields exactly one refresh per group when a StartInstanceRefresh answer is lost', async () => {
    const report = await run([{ kind: 'lostResponse', operation: 'StartInstanceRefresh', times: 2, skip: 0 }]);

    expect(lostCalls(report, 'StartInstanceRefresh')).toHaveLength(2);
    expect(report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && c.error === 'InstanceRefreshInProgressFault').length).toBeGreaterThanOrEqual(1);
    expect(report.status).toBe('SUCCEEDED');
    for (const g of GROUPS) expect(stateOf(report).refreshes.filter((r) => r.asgName === g)).toHaveLength(1);
    expect(everyInstanceOn(report, newAmiOf(report))).toBe(true);
  });

  it('still yields exactly one new launch template version per template when a CreateLaunchTemplateVersion answer is lost', async () => {
    const report = await run([{ kind: 'lostResponse', operation: 'CreateLaunchTemplateVersion', times: 2, skip: 0 }]);

    expect(lostCalls(report, 'CreateLaunchTemplateVersion')).toHaveLength(2);
    expect(report.status).toBe('SUCCEEDED');
    const templates = Object.values(stateOf(report).launchTemplates).filter((lt) => GROUPS.includes(lt.name));
    expect(templates.map((lt) => lt.versions.length)).toEqual([2, 2, 2]);
    expect(GROUPS.map((g) => report.account.asg(g).version)).toEqual(['2', '2', '2']);
  });

  it('still yields exactly one image build when a CreateImage answer is lost', async () => {
    const report = await run([{ kind: 'lostResponse', operation: 'CreateImage', times: 1, skip: 0 }]);

    expect(lostCalls(report, 'CreateImage')).toHaveLength(1);
    expect(report.status).toBe('SUCCEEDED');
    expect(Object.values(stateOf(report).images)).toHaveLength(1);
    expect(everyInstanceOn(report, newAmiOf(report))).toBe(true);
  });

  it('still yields exactly one Fast Launch enable when an EnableFastLaunch answer is lost, adopting its own enable in progress', async () => {
    const report = await run([{ kind: 'lostResponse', operation: 'EnableFastLaunch', times: 1, skip: 0 }]);

    expect(lostCalls(report, 'EnableFastLaunch')).toHaveLength(1);
    expect(report.calls.filter((c) => c.operation === 'EnableFastLaunch').map((c) => c.error)).toEqual(['ECONNRESET', 'IncorrectState']);
    expect(report.status).toBe('SUCCEEDED');
    expect(Object.keys(stateOf(report).fastLaunch)).toEqual([newAmiOf(report)]);
    expect(report.notifications.filter((n) => /fast launch/i.test(n.message) && /fail/i.test(n.message))).toEqual([]);
  });

  it("still yields exactly one run when the operator's StartExecution answer is lost", async () => {
    const report = await run([{ kind: 'lostResponse', operation: 'StartExecution', times: 1, skip: 0 }]);

    expect(lostCalls(report, 'StartExecution').map((c) => c.fn)).toEqual(['operator']);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.account.executions.map((e) => e.stateMachineArn.split(':').pop())).toEqual(['eks-windows-patch-rehearsal-patch-run', 'eks-windows-patch-rehearsal-patch-variant']);
    expect(report.executions).toHaveLength(2);
  });

  it("still yields exactly one child execution per variant when the state machine's StartExecution answer is lost", async () => {
    const report = await run([{ kind: 'lostResponse', operation: 'SFN.StartExecution', times: 1, skip: 1 }]);

    expect(lostCalls(report, 'StartExecution').map((c) => c.fn)).toEqual(['states']);
    expect(report.status).toBe('SUCCEEDED');
    const children = report.account.executions.filter((e) => e.stateMachineArn.endsWith('patch-variant'));
    expect(children).toHaveLength(1);
    expect(children[0]?.status).toBe('SUCCEEDED');
    expect(report.executions).toHaveLength(2);
  });
});

describe('throttling as it happens', () => {
  it('throttles only the named service, only inside its window of simulated minutes', async () => {
    const report = await run([{ kind: 'throttle', rate: 0.6, services: ['AutoScaling'], fromMinute: 60, forMinutes: 60 }]);

    const start = Date.parse(generateScenario(spec([])).start);
    const throttled = report.calls.filter((c) => c.error === 'Throttling' || c.error === 'RequestLimitExceeded' || c.error === 'Throttled');
    expect(throttled.length).toBeGreaterThan(0);
    expect(new Set(throttled.map((c) => c.service))).toEqual(new Set(['AutoScaling']));
    for (const c of throttled) {
      const minute = (Date.parse(c.t) - start) / 60_000;
      expect(minute).toBeGreaterThanOrEqual(60);
      expect(minute).toBeLessThan(120);
    }
    expect(report.status).toBe('SUCCEEDED');
  });

  it("logs every retry in the Lambda's log with the operation, the error and the attempt", async () => {
    const report = await run([{ kind: 'throttle', rate: 0.5, operations: ['StartInstanceRefresh', 'CreateLaunchTemplateVersion'] }]);

    const throttledCalls = report.calls.filter((c) => c.error && c.fn !== 'operator' && ['StartInstanceRefresh', 'CreateLaunchTemplateVersion'].includes(c.operation));
    const retries = report.logs.filter((l) => l.level === 'WARN' && /retry \d+ of/.test(l.message));
    expect(throttledCalls.length).toBeGreaterThan(0);
    expect(retries).toHaveLength(throttledCalls.length);
    expect(retries[0]).toMatchObject({ fn: expect.stringMatching(/updateLaunchTemplates|startInstanceRefreshes/), operation: expect.stringMatching(/StartInstanceRefresh|CreateLaunchTemplateVersion/), error: expect.stringMatching(/Throttling|RequestLimitExceeded/), attempt: 1 });
    expect(report.status).toBe('SUCCEEDED');
  });

  it("retries the operator's own StartExecution under heavy throttling instead of crashing", async () => {
    const report = await run([{ kind: 'throttle', rate: 0.7, services: ['SFN'] }]);

    const starts = report.calls.filter((c) => c.operation === 'StartExecution' && c.fn === 'operator');
    expect(starts.filter((c) => c.error === 'ThrottlingException').length).toBeGreaterThan(0);
    expect(starts.filter((c) => !c.error)).toHaveLength(1);
    expect(report.account.executions.filter((e) => e.stateMachineArn.endsWith('patch-run'))).toHaveLength(1);
  });
});

describe('a built AMI is never lost', () => {
  it('retries tagging a finished build until it succeeds, then rolls the AMI out', async () => {
    const report = await run([{ kind: 'throttle', rate: 1, operations: ['CreateTags'], fromMinute: 0, forMinutes: 100 }]);

    const amiId = newAmiOf(report) as string;
    expect(report.status).toBe('SUCCEEDED');
    expect(stateOf(report).tags[amiId]).toMatchObject({ 'eks-windows-patch:variant': VARIANT });
    expect(report.logs.some((l) => l.message.startsWith('image built but its AMI is not tagged yet'))).toBe(true);
    expect(everyInstanceOn(report, amiId)).toBe(true);
  });

  it('names the untagged AMI and never calls it a failed build when tagging keeps failing', async () => {
    const report = await run([{ kind: 'throttle', rate: 1, operations: ['CreateTags'] }]);

    const amiId = newAmiOf(report) as string;
    expect(report.status).toBe('FAILED');
    expect(report.executions.find((e) => e.label === VARIANT)?.error?.Cause).toMatch(new RegExp(`^AMI tagging failed: .*AMI ${amiId} exists but could not be tagged`));
    const failure = report.notifications.find((n) => n.subject?.startsWith('FAILED'));
    expect(failure?.subject).toContain('AMI tagging');
    expect(failure?.message).toContain(amiId);
    expect(failure?.message).not.toMatch(/image build stage failed/);
    expect(GROUPS.map((g) => report.account.asg(g).version)).toEqual(['1', '1', '1']);
  });
});

describe('the rehearsal tells the truth', () => {
  it('reads the account at the simulated end of the run, where a long refresh is still running', async () => {
    const scenario = generateScenario(spec([]));
    scenario.fleet.launchTemplates.push({ name: 'outsider', defaultVersion: 1, versions: [{ imageId: 'ami-b0000000000000001', rootVolumeOverride: false, userData: true, instanceType: 'm6i.xlarge' }] });
    scenario.fleet.autoScalingGroups.push({ name: 'outsider', launchTemplate: 'outsider', version: '1', mixedInstancesPolicy: false, instances: 1, tags: {}, terminationHook: true });
    scenario.faults = [{ kind: 'refreshInProgress', asgName: 'outsider', minutes: 600 }];

    const report = await rehearse(scenario);

    expect(report.simulatedSeconds).toBeLessThan(600 * 60);
    expect(report.account.asg('outsider').refreshStatus).toBe('InProgress');
  });

  it('counts a group as patched only when every instance runs the new AMI', async () => {
    const report = await run([{ kind: 'refreshFailure', asgName: ng(0), atPercent: 50, reason: 'health checks failed', times: 1 }]);

    const summary = summarize(report);
    expect(summary.status).toBe('FAILED');
    expect(summary.variants[0]?.patched).toEqual([]);
    expect(summary.nodeGroupsPatched).toBe(0);
  });
});
