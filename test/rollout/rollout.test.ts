import { describe, expect, it } from 'vitest';
import { DEFAULT_VARIANTS } from '../../local/generate.js';
import type { Fault } from '../../local/sim/fleet.js';
import { callsOf, generateScenario, loadScenario, rehearse, rehearseFleet, touched, type FleetSpec, type RehearsalReport } from '../support/rehearse.js';

/** One variant: 2 canary node groups (0000, 0001), then 6 others in waves of 3. */
const VARIANT = 'win2022-core-131';
const OLD_AMI = 'ami-b0000000000000001';
const ng = (i: number) => `ng-${VARIANT}-${String(i).padStart(4, '0')}`;
const CANARIES = [ng(0), ng(1)];
const OTHERS = [2, 3, 4, 5, 6, 7].map(ng);
const ALL = [...CANARIES, ...OTHERS];

const fleet = (over: Partial<FleetSpec> = {}): FleetSpec => ({ variants: [DEFAULT_VARIANTS[0] as NonNullable<FleetSpec['variants']>[number]], nodeGroups: 8, canariesPerVariant: 2, waveSize: 3, ...over });

const startsOf = (report: RehearsalReport, names: string[]) => report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && !c.error && names.includes(String((c.input as { AutoScalingGroupName: string }).AutoScalingGroupName)));
const ltIdOf = (report: RehearsalReport, name: string) => report.account.asg(name).launchTemplateId;

async function refreshOf(report: RehearsalReport, asgName: string) {
  const out = (await report.account.call('AutoScaling', 'DescribeInstanceRefreshes', { AutoScalingGroupName: asgName })) as { InstanceRefreshes: { Status: string; EndTime?: Date }[] };
  return out.InstanceRefreshes[0];
}

describe('a staged rollout of 2 canary and 6 other node groups', () => {
  it('finishes the canary wave before any other group gets a version or a refresh, then patches every instance', async () => {
    const report = await rehearseFleet(fleet());

    expect(report.status).toBe('SUCCEEDED');
    const canaryEnds = await Promise.all(CANARIES.map((n) => refreshOf(report, n)));
    expect(canaryEnds.map((r) => r?.Status)).toEqual(['Successful', 'Successful']);
    const canaryDone = Math.max(...canaryEnds.map((r) => (r?.EndTime as Date).getTime()));
    const otherLts = new Set(OTHERS.map((n) => ltIdOf(report, n)));
    const firstOtherWrite = report.calls
      .filter((c) => (c.operation === 'StartInstanceRefresh' && OTHERS.includes(String((c.input as { AutoScalingGroupName: string }).AutoScalingGroupName))) || (c.operation === 'CreateLaunchTemplateVersion' && otherLts.has(String((c.input as { LaunchTemplateId: string }).LaunchTemplateId))))
      .map((c) => Date.parse(c.t));
    expect(firstOtherWrite).toHaveLength(12);
    expect(Math.min(...firstOtherWrite)).toBeGreaterThanOrEqual(canaryDone);

    const newAmi = String((callsOf(report, 'CreateLaunchTemplateVersion')[0]?.LaunchTemplateData as { ImageId: string }).ImageId);
    expect(newAmi).not.toBe(OLD_AMI);
    for (const name of ALL) {
      expect(report.account.asg(name)).toMatchObject({ version: '2', imageId: newAmi, refreshStatus: 'Successful' });
      const instances = report.account.instances(name);
      expect(instances.length).toBeGreaterThan(0);
      expect(instances.every((i) => i.imageId === newAmi && i.launchTemplateVersion === '2')).toBe(true);
    }
    expect(callsOf(report, 'CancelInstanceRefresh')).toHaveLength(0);
  });

  it('starts every refresh on the explicit new version with AutoRollback', async () => {
    const report = await rehearseFleet(fleet());

    const starts = callsOf(report, 'StartInstanceRefresh');
    expect(starts).toHaveLength(8);
    for (const s of starts) {
      expect(s.DesiredConfiguration).toEqual({ LaunchTemplate: { LaunchTemplateId: ltIdOf(report, String(s.AutoScalingGroupName)), Version: '2' } });
      expect(s.Preferences).toMatchObject({ AutoRollback: true, SkipMatching: true, MinHealthyPercentage: 100, MaxHealthyPercentage: 110 });
    }
    for (const v of callsOf(report, 'CreateLaunchTemplateVersion')) expect(v).toMatchObject({ SourceVersion: '1', LaunchTemplateData: { ImageId: expect.any(String) } });
  });
});

describe('a refresh failure in the canary wave', () => {
  const failure: Fault = { kind: 'refreshFailure', asgName: ng(0), atPercent: 50, reason: 'Instances failed to pass ELB health checks' };

  it('touches no other group, leaves the failed group rolled back on its old version, and says so', async () => {
    const report = await rehearseFleet(fleet({ faults: [failure] }));

    expect(report.status).toBe('FAILED');
    const otherLts = new Set(OTHERS.map((n) => ltIdOf(report, n)));
    expect(callsOf(report, 'CreateLaunchTemplateVersion').filter((c) => otherLts.has(String(c.LaunchTemplateId)))).toEqual([]);
    expect(startsOf(report, OTHERS)).toEqual([]);
    for (const name of OTHERS) {
      expect(report.account.launchTemplateVersions(name)).toHaveLength(1);
      expect(report.account.asg(name)).toMatchObject({ version: '1', imageId: OLD_AMI });
      expect(report.account.asg(name).refreshStatus).toBeUndefined();
    }

    expect(report.account.asg(ng(0))).toMatchObject({ version: '1', imageId: OLD_AMI, refreshStatus: 'RollbackSuccessful' });
    expect(report.account.instances(ng(0)).every((i) => i.imageId === OLD_AMI && i.launchTemplateVersion === '1')).toBe(true);
    expect(callsOf(report, 'CancelInstanceRefresh')).toHaveLength(0);

    const notice = report.notifications.find((n) => n.subject?.startsWith(`FAILED rollout for ${VARIANT}`));
    expect(notice?.subject).toBe(`FAILED rollout for ${VARIANT}: 1 group(s) rolled back, 6 untouched`);
    expect(notice?.message).toContain(`${ng(0)}: rolled back to launch template version 1 - Instances failed to pass ELB health checks`);
    expect(notice?.message).toContain(`${ng(1)}: on the new AMI (launch template version 2)`);
    expect(notice?.message).toContain(`never touched (6): ${OTHERS.join(', ')}`);
    expect(report.notifications.some((n) => n.subject?.startsWith('Wave 1/'))).toBe(false);
  });
});

describe('the default launch template version (rollout.setDefaultVersion)', () => {
  it('moves only after that group refresh succeeded, and never for a group that rolled back', async () => {
    const failure: Fault = { kind: 'refreshFailure', asgName: ng(0), atPercent: 50, reason: 'Instances failed to pass ELB health checks' };

    const report = await rehearseFleet(fleet({ faults: [failure], config: { rollout: { waveSize: 3, setDefaultVersion: true } } }));

    expect(report.status).toBe('FAILED');
    const modifies = report.calls.filter((c) => c.operation === 'ModifyLaunchTemplate' && !c.error);
    expect(modifies.map((c) => c.input)).toEqual([{ LaunchTemplateId: ltIdOf(report, ng(1)), DefaultVersion: '2' }]);
    const patchedAt = (await refreshOf(report, ng(1)))?.EndTime as Date;
    expect(Date.parse(modifies[0]?.t as string)).toBeGreaterThanOrEqual(patchedAt.getTime());
    expect(report.account.launchTemplateVersions(ng(1)).find((v) => v.default)?.versionNumber).toBe(2);
    expect(report.account.launchTemplateVersions(ng(0)).find((v) => v.default)?.versionNumber).toBe(1);
  });
});

describe('preflight', () => {
  it('refuses an ASG on $Latest by default, with a message naming it and the fix, and writes nothing', async () => {
    const report = await rehearseFleet(fleet({ asg: (i) => (i === 3 ? { version: '$Latest' } : {}) }));

    expect(report.status).toBe('FAILED');
    expect(touched(report)).toEqual([]);
    const notice = report.notifications.find((n) => n.subject?.startsWith('FAILED plan'));
    expect(notice?.message).toContain(`ASG ${ng(3)} uses launch template version $Latest, so a failed refresh could not roll back`);
    expect(notice?.message).toContain('pin the ASG to a version number (it runs 1 now), or set rollout.allowUnpinnedVersions: true');
  });

  it('rolls out an allowed $Latest group from its resolved version, without AutoRollback, and warns at the start', async () => {
    const scenario = generateScenario(fleet({ asg: (i) => (i === 3 ? { version: '$Latest' } : {}), config: { rollout: { waveSize: 3, allowUnpinnedVersions: true } } }));
    const lt = scenario.fleet.launchTemplates.find((l) => l.name === ng(3));
    lt?.versions.push({ ...(lt.versions[0] as (typeof lt.versions)[number]) });

    const report = await rehearse(scenario);

    expect(report.status).toBe('SUCCEEDED');
    expect(callsOf(report, 'CreateLaunchTemplateVersion').find((c) => c.LaunchTemplateId === ltIdOf(report, ng(3)))?.SourceVersion).toBe('2');
    const starts = report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && (c.input as { AutoScalingGroupName: string }).AutoScalingGroupName === ng(3));
    expect(starts.map((c) => [c.error ?? 'ok', (c.input as { Preferences: { AutoRollback: boolean } }).Preferences.AutoRollback])).toEqual([
      ['IrreversibleInstanceRefreshFault', true],
      ['ok', false],
    ]);
    expect(report.account.asg(ng(3)).version).toBe('3');
    expect(report.notifications[0]?.message).toContain(`ASG ${ng(3)} uses $Latest: a failed refresh cannot roll back automatically`);
  });

  /** ng(3)'s launch template names its AMI by an SSM parameter (which holds the old AMI). */
  function ssmImageScenario(config?: Record<string, unknown>) {
    const scenario = generateScenario(fleet(config ? { config } : {}));
    scenario.fleet.ssmParameters['/eks/windows/node-ami'] = OLD_AMI;
    const v1 = scenario.fleet.launchTemplates.find((l) => l.name === ng(3))?.versions[0];
    if (v1) v1.imageId = 'resolve:ssm:/eks/windows/node-ami';
    return scenario;
  }

  it('refuses an ASG whose launch template takes its AMI from an SSM parameter, naming the parameter, and writes nothing', async () => {
    const report = await rehearse(ssmImageScenario());

    expect(report.status).toBe('FAILED');
    expect(touched(report)).toEqual([]);
    const notice = report.notifications.find((n) => n.subject?.startsWith('FAILED plan'));
    expect(notice?.message).toContain(`ASG ${ng(3)}: launch template version 1 takes its AMI from the SSM parameter /eks/windows/node-ami`);
    expect(notice?.message).toContain('put an AMI id in the launch template, or set rollout.allowUnpinnedVersions: true');
  });

  it('rolls out an allowed SSM-ImageId group without AutoRollback, which AWS refuses for it', async () => {
    const report = await rehearse(ssmImageScenario({ rollout: { waveSize: 3, allowUnpinnedVersions: true } }));

    expect(report.status).toBe('SUCCEEDED');
    const starts = report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && (c.input as { AutoScalingGroupName: string }).AutoScalingGroupName === ng(3));
    expect(starts.map((c) => [c.error ?? 'ok', (c.input as { Preferences: { AutoRollback: boolean } }).Preferences.AutoRollback])).toEqual([
      ['IrreversibleInstanceRefreshFault', true],
      ['ok', false],
    ]);
    const newAmi = report.account.asg(ng(0)).imageId;
    expect(report.account.asg(ng(3))).toMatchObject({ version: '2', imageId: newAmi, refreshStatus: 'Successful' });
    expect(report.notifications[0]?.message).toContain(`ASG ${ng(3)} takes its AMI from the SSM parameter /eks/windows/node-ami`);
  });

  it('fails the plan, changing nothing, when a configured ASG does not exist', async () => {
    const scenario = generateScenario(fleet());
    scenario.fleet.autoScalingGroups = scenario.fleet.autoScalingGroups.filter((g) => g.name !== ng(5));

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    expect(touched(report)).toEqual([]);
    expect(report.notifications.filter((n) => n.topicArn.endsWith('-admins')).at(-1)?.message).toContain(`Auto Scaling group "${ng(5)}" was not found in this region`);
  });

  it('warns at the start about a missing termination hook and a root volume override', async () => {
    const scenario = generateScenario(fleet({ asg: (i) => (i === 2 ? { terminationHook: false } : {}) }));
    const lt = scenario.fleet.launchTemplates.find((l) => l.name === ng(4));
    if (lt?.versions[0]) lt.versions[0].rootVolumeOverride = true;

    const report = await rehearse(scenario);

    expect(report.status).toBe('SUCCEEDED');
    const start = report.notifications[0];
    // The third: no EKS cluster known for the groups; the fourth: the largest wave outgrows the Fast Launch pool.
    expect(start?.subject).toMatch(/4 warning\(s\)/);
    expect(start?.message).toContain('fastLaunch.targetResourceCount 5: at most 5 of the');
    expect(start?.message).toContain(`ASG ${ng(2)} has no termination lifecycle hook`);
    expect(start?.message).toContain(`ASG ${ng(4)}: its launch template overrides the root volume (/dev/sda1)`);
  });
});

describe("someone else's instance refresh on a node group", () => {
  it('is waited for, then the group is refreshed, never cancelled', async () => {
    // Wave 2 starts about 115 simulated minutes in (build, Fast Launch, canary wave): theirs is still running then.
    const report = await rehearseFleet(fleet({ faults: [{ kind: 'refreshInProgress', asgName: ng(2), minutes: 130 }] }));

    expect(report.status).toBe('SUCCEEDED');
    const attempts = report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && (c.input as { AutoScalingGroupName: string }).AutoScalingGroupName === ng(2));
    expect(attempts[0]?.error).toBe('InstanceRefreshInProgressFault');
    expect(attempts.at(-1)?.error).toBeUndefined();
    expect(report.account.asg(ng(2)).version).toBe('2');
    expect(report.account.instances(ng(2)).every((i) => i.launchTemplateVersion === '2')).toBe(true);
    expect(callsOf(report, 'CancelInstanceRefresh')).toHaveLength(0);
  });

  it('is skipped with a warning in the summary when it lasts longer than rollout.busyRetries allows', async () => {
    const report = await rehearseFleet(fleet({ faults: [{ kind: 'refreshInProgress', asgName: ng(2), minutes: 600 }], config: { rollout: { waveSize: 3, busyRetries: 2 } } }));

    expect(report.status).toBe('SUCCEEDED');
    const attempts = report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && (c.input as { AutoScalingGroupName: string }).AutoScalingGroupName === ng(2));
    expect(attempts.map((c) => c.error)).toEqual(['InstanceRefreshInProgressFault', 'InstanceRefreshInProgressFault', 'InstanceRefreshInProgressFault']);
    expect(report.account.asg(ng(2)).version).toBe('1');
    expect(callsOf(report, 'CancelInstanceRefresh')).toHaveLength(0);
    const summary = report.notifications.at(-1);
    expect(summary?.subject).toMatch(/1 skipped/i);
    expect(summary?.message).toContain(`${ng(2)} (another instance refresh was still running after 3 attempts; left on version 1)`);
    for (const name of ALL.filter((n) => n !== ng(2))) expect(report.account.asg(name).version).toBe('2');
  });
});

describe('a mixed-instances node group', () => {
  it('gets its new version from the version in its MixedInstancesPolicy and keeps the policy', async () => {
    const scenario = generateScenario(fleet({ asg: (i) => (i === 4 ? { version: '2', mixedInstancesPolicy: true } : {}) }));
    const lt = scenario.fleet.launchTemplates.find((l) => l.name === ng(4));
    lt?.versions.push({ ...(lt.versions[0] as (typeof lt.versions)[number]), instanceType: 'm6i.2xlarge' });

    const report = await rehearse(scenario);

    expect(report.status).toBe('SUCCEEDED');
    const id = ltIdOf(report, ng(4));
    expect(callsOf(report, 'CreateLaunchTemplateVersion').find((c) => c.LaunchTemplateId === id)?.SourceVersion).toBe('2');
    const v3 = report.account.launchTemplateVersions(ng(4))[2];
    expect(v3?.data).toMatchObject({ InstanceType: 'm6i.2xlarge', ImageId: report.account.asg(ng(4)).imageId });
    expect(callsOf(report, 'StartInstanceRefresh').find((s) => s.AutoScalingGroupName === ng(4))?.DesiredConfiguration).toMatchObject({
      MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: id, Version: '3' }, Overrides: [] }, InstancesDistribution: { OnDemandPercentageAboveBaseCapacity: 100 } },
    });
    const described = (await report.account.call('AutoScaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [ng(4)] })) as { AutoScalingGroups: Record<string, unknown>[] };
    expect(described.AutoScalingGroups[0]?.MixedInstancesPolicy).toBeDefined();
    expect(report.account.asg(ng(4)).version).toBe('3');
  });
});

describe('the rollout scenario files', () => {
  it('canary-failure.yml stops after the canary wave with the failed canary rolled back', async () => {
    const report = await rehearse(loadScenario('local/scenarios/canary-failure.yml'));

    expect(report.status).toBe('FAILED');
    expect(new Set(callsOf(report, 'StartInstanceRefresh').map((c) => c.AutoScalingGroupName))).toEqual(new Set(['eks-win2022-canary-a', 'eks-win2022-canary-b']));
    expect(report.account.asg('eks-win2022-canary-a')).toMatchObject({ version: '1', refreshStatus: 'RollbackSuccessful' });
    expect(report.notifications.find((n) => n.subject?.startsWith('FAILED rollout'))?.message).toContain('never touched (6)');
  });

  it('latest-refused.yml is refused in the plan and changes nothing', async () => {
    const report = await rehearse(loadScenario('local/scenarios/latest-refused.yml'));

    expect(report.status).toBe('FAILED');
    expect(touched(report)).toEqual([]);
    expect(report.notifications[0]?.message).toContain('ASG eks-win2022-apps-a uses launch template version $Latest');
  });
});

describe('mixed-instances.yml', () => {
  it('keeps the overrides and the Spot split of a mixed-instances group after the run', async () => {
    const report = await rehearse(loadScenario('local/scenarios/mixed-instances.yml'));

    expect(report.status).toBe('SUCCEEDED');
    const name = 'eks-win2022-apps-b';
    const id = ltIdOf(report, name);
    const sent = callsOf(report, 'StartInstanceRefresh').find((s) => s.AutoScalingGroupName === name)?.DesiredConfiguration as Record<string, unknown>;
    expect(sent).toMatchObject({ MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: id, Version: '2' } } } });
    const described = (await report.account.call('AutoScaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [name] })) as { AutoScalingGroups: Record<string, unknown>[] };
    expect(described.AutoScalingGroups[0]?.MixedInstancesPolicy).toEqual({
      LaunchTemplate: {
        LaunchTemplateSpecification: { LaunchTemplateId: id, LaunchTemplateName: name, Version: '2' },
        Overrides: [
          { InstanceType: 'm6i.xlarge' },
          { InstanceType: 'm5.xlarge' },
          // The override's own spec on the group's template moves to the new version with the group.
          { InstanceType: 'm6a.xlarge', LaunchTemplateSpecification: { LaunchTemplateId: id, Version: '2' } },
        ],
      },
      InstancesDistribution: expect.objectContaining({ OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 25, SpotAllocationStrategy: 'price-capacity-optimized' }),
    });
    expect(report.account.asg(name)).toMatchObject({ version: '2', imageId: report.account.asg('eks-win2022-canary').imageId });
  });
});

describe('protected-instances.yml', () => {
  it('names the 2 scale-in-protected instances left on the old AMI and never claims every node patched', async () => {
    const report = await rehearse(loadScenario('local/scenarios/protected-instances.yml'));

    const name = 'eks-win2022-apps-a';
    const newAmi = report.account.asg('eks-win2022-canary').imageId;
    const old = report.account.instances(name).filter((i) => i.imageId !== newAmi);
    expect(old).toHaveLength(2);
    expect(report.account.instances(name).filter((i) => i.imageId === newAmi)).toHaveLength(2);
    expect(callsOf(report, 'StartInstanceRefresh').find((s) => s.AutoScalingGroupName === name)?.Preferences).toMatchObject({ ScaleInProtectedInstances: 'Ignore' });
    const wave = report.notifications.find((n) => n.message.includes(`${name}: NOT fully patched`));
    for (const i of old) expect(wave?.message).toContain(i.instanceId);
    expect(report.notifications.some((n) => n.subject?.includes('All nodes patched'))).toBe(false);
    const summary = report.notifications.at(-1);
    expect(summary?.subject).toContain('NOT all nodes patched');
    for (const i of old) expect(summary?.message).toContain(i.instanceId);
  });
});
