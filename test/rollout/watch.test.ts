import { describe, expect, it } from 'vitest';
import { DEFAULT_VARIANTS } from '../../local/generate.js';
import type { Fault } from '../../local/sim/fleet.js';
import { callsOf, rehearseFleet, type FleetSpec, type RehearsalReport } from '../support/rehearse.js';

/** One variant: 2 canary node groups (0000, 0001), then 6 others in waves of 3. */
const VARIANT = 'win2022-core-131';
const ng = (i: number) => `ng-${VARIANT}-${String(i).padStart(4, '0')}`;
const CANARIES = [ng(0), ng(1)];
const OTHERS = [2, 3, 4, 5, 6, 7].map(ng);
const ALL = [...CANARIES, ...OTHERS];
const fleet = (over: Partial<FleetSpec> = {}): FleetSpec => ({ variants: [DEFAULT_VARIANTS[0] as NonNullable<FleetSpec['variants']>[number]], nodeGroups: 8, canariesPerVariant: 2, waveSize: 3, ...over });

async function latestRefresh(report: RehearsalReport, asgName: string) {
  const out = (await report.account.call('AutoScaling', 'DescribeInstanceRefreshes', { AutoScalingGroupName: asgName })) as { InstanceRefreshes: { Status: string }[] };
  return out.InstanceRefreshes[0];
}
const failureNotice = (report: RehearsalReport) => report.notifications.find((n) => n.subject?.startsWith(`FAILED rollout for ${VARIANT}`));

describe('a wave check that cannot read AWS (item 19)', () => {
  it('keeps polling through DescribeInstanceRefreshes throttled at 90 % and watches every refresh to its end', async () => {
    const throttle: Fault = { kind: 'throttle', rate: 0.9, operations: ['DescribeInstanceRefreshes'] };

    const report = await rehearseFleet(fleet({ faults: [throttle] }));

    const throttled = report.calls.filter((c) => c.operation === 'DescribeInstanceRefreshes' && c.error === 'Throttling');
    expect(throttled.length).toBeGreaterThan(50);
    expect(report.status).toBe('SUCCEEDED');
    for (const name of ALL) {
      expect((await latestRefresh(report, name))?.Status, name).toBe('Successful');
      expect(report.account.asg(name)).toMatchObject({ version: '2' });
    }
    expect(report.notifications.some((n) => n.subject?.startsWith('FAILED'))).toBe(false);
    expect(report.notifications.at(-1)?.subject).toBe('All nodes patched: 8 node group(s) on new AMIs');
  });
});

describe('a wave past its deadline (item 7)', () => {
  it('fails with the normal failure report naming each unfinished group, and starts no other wave', async () => {
    // The canaries have 2 and 3 instances replaced one at a time (8 min each): longer than 10 minutes.
    const report = await rehearseFleet(fleet({ config: { rollout: { waveSize: 3, waveTimeoutMinutes: 10 } } }));

    expect(report.status).toBe('FAILED');
    const notice = failureNotice(report);
    expect(notice?.subject).toBe(`FAILED rollout for ${VARIANT}: wave 1 passed its deadline, 6 untouched`);
    expect(notice?.message).toMatch(/Cause: the wave passed its deadline \(2026-11-15T\S+\) with 2 node group\(s\) not finished/);
    for (const name of CANARIES) expect(notice?.message).toMatch(new RegExp(`  ${name}: refresh not finished - InProgress at \\d+% when the wave passed its deadline; the refresh goes on in Auto Scaling, no longer watched by this run`));
    expect(notice?.message).toContain(`never touched (6): ${OTHERS.join(', ')}`);
    expect(callsOf(report, 'StartInstanceRefresh').map((c) => c.AutoScalingGroupName)).toEqual(CANARIES);
    expect(callsOf(report, 'CancelInstanceRefresh')).toHaveLength(0);
    for (const name of OTHERS) expect(report.account.launchTemplateVersions(name)).toHaveLength(1);
  });
});

describe('a canary wave in which no canary ran (item 8)', () => {
  it('stops the line and the failure notice says that no canary ran', async () => {
    const busy: Fault[] = CANARIES.map((asgName) => ({ kind: 'refreshInProgress', asgName, minutes: 600 }));

    const report = await rehearseFleet(fleet({ faults: busy, config: { rollout: { waveSize: 3, busyRetries: 1 } } }));

    expect(report.status).toBe('FAILED');
    const notice = failureNotice(report);
    expect(notice?.subject).toBe(`FAILED rollout for ${VARIANT}: no canary ran, 6 untouched`);
    expect(notice?.message).toContain('Cause: no canary ran: none of the 2 canary group(s) was patched');
    for (const name of CANARIES) expect(notice?.message).toContain(`  ${name}: skipped: another instance refresh was still running`);
    expect(report.notifications.some((n) => n.subject?.startsWith('Wave 1/'))).toBe(false);
    expect(callsOf(report, 'StartInstanceRefresh')).toHaveLength(0);
    for (const name of OTHERS) expect(report.account.launchTemplateVersions(name)).toHaveLength(1);
  });
});
