import { describe, expect, it } from 'vitest';
import { DEFAULT_VARIANTS } from '../../local/generate.js';
import type { Fault } from '../../local/sim/fleet.js';
import { rehearseFleet, type FleetSpec, type RehearsalReport } from '../support/rehearse.js';

const VARIANT = 'win2022-core-131';
const fleet = (over: Partial<FleetSpec> = {}): FleetSpec => ({ variants: [DEFAULT_VARIANTS[0] as NonNullable<FleetSpec['variants']>[number]], nodeGroups: 4, canariesPerVariant: 1, waveSize: 3, ...over });
const onTopic = (report: RehearsalReport, suffix: string) => report.notifications.filter((n) => n.topicArn.endsWith(suffix));
const attr = (n: RehearsalReport['notifications'][number], key: string) => (n.attributes[key] as { StringValue?: string } | undefined)?.StringValue;

describe('notifications keep their variants (item 18)', () => {
  it('tags every notice of a run whose plan failed with the variants it concerns', async () => {
    const report = await rehearseFleet(fleet({ asg: (i) => (i === 2 ? { version: '$Latest' } : {}) }));

    expect(report.status).toBe('FAILED');
    const admin = onTopic(report, '-admins');
    expect(admin.map((n) => n.subject)).toEqual([expect.stringMatching(/^FAILED plan for run /)]);
    for (const n of admin) expect(attr(n, 'variant'), n.subject).toBe(JSON.stringify([VARIANT]));
  });

  it('tags every notice of a rollout whose canary failed, the failure included', async () => {
    const failure: Fault = { kind: 'refreshFailure', asgName: `ng-${VARIANT}-0000`, atPercent: 50, reason: 'Instances failed to pass ELB health checks' };

    const report = await rehearseFleet(fleet({ faults: [failure] }));

    const admin = onTopic(report, '-admins');
    expect(admin.some((n) => n.subject?.startsWith(`FAILED rollout for ${VARIANT}`))).toBe(true);
    for (const n of admin) expect(attr(n, 'variant'), n.subject).toBe(JSON.stringify([VARIANT]));
  });
});

describe('admins always hear about a failure (item 20)', () => {
  it('retries each notice for minutes, then ends failed and the stack alarm announces it when SNS refuses every publish', async () => {
    const report = await rehearseFleet(fleet({ faults: [{ kind: 'throttle', rate: 1, operations: ['Publish'] }] }));

    expect(report.status).toBe('FAILED');
    const publishes = report.calls.filter((c) => c.operation === 'Publish');
    // The start notice and then the run's failure notice: 1 attempt + 12 retries each.
    expect(publishes).toHaveLength(26);
    expect(publishes.every((p) => p.error === 'Throttled')).toBe(true);
    const started = publishes.slice(0, 13).map((p) => Date.parse(p.t));
    expect(Math.max(...started) - Math.min(...started)).toBeGreaterThan(5 * 60_000);
    expect(onTopic(report, '-admins')).toEqual([]);
    const alarms = onTopic(report, '-AlarmTopic');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.subject).toMatch(/^ALARM: "eks-windows-patch-rehearsal-PatchRunStateMachineExecutionsFailedAlarm" in US West \(Oregon\)$/);
    const body = JSON.parse(alarms[0]?.message ?? '{}') as { NewStateValue: string; Trigger: { MetricName: string; Dimensions: { value: string }[] } };
    expect(body.NewStateValue).toBe('ALARM');
    expect(body.Trigger.MetricName).toBe('ExecutionsFailed');
    expect(body.Trigger.Dimensions[0]?.value).toMatch(/:stateMachine:eks-windows-patch-rehearsal-patch-run$/);
    expect(Date.parse(alarms[0]?.t ?? '')).toBeGreaterThan(Math.max(...publishes.map((p) => Date.parse(p.t))));
  });

  it('announces every failed run under SNS Publish throttled at 80 %, by its own notice or the alarm', async () => {
    const failure: Fault = { kind: 'refreshFailure', asgName: `ng-${VARIANT}-0000`, atPercent: 50, reason: 'Instances failed to pass ELB health checks' };

    const report = await rehearseFleet(fleet({ faults: [failure, { kind: 'throttle', rate: 0.8, operations: ['Publish'] }] }));

    expect(report.status).toBe('FAILED');
    expect(report.calls.filter((c) => c.operation === 'Publish' && c.error === 'Throttled').length).toBeGreaterThan(0);
    const announced = onTopic(report, '-admins').some((n) => attr(n, 'severity') === 'error') || onTopic(report, '-AlarmTopic').length > 0;
    expect(announced).toBe(true);
    // The canary rolled back and nothing else moved, whatever reached the admins.
    expect(report.account.asg(`ng-${VARIANT}-0000`)).toMatchObject({ version: '1', refreshStatus: 'RollbackSuccessful' });
    for (const i of [1, 2, 3]) expect(report.account.launchTemplateVersions(`ng-${VARIANT}-000${i}`)).toHaveLength(1);
  });
});
