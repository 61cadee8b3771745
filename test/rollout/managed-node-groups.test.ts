import { describe, expect, it } from 'vitest';
import { callsOf, loadScenario, rehearse, type RehearsalReport } from '../support/rehearse.js';

/** Issue 11: EKS managed node groups roll out through EKS, side by side with self-managed ASGs. */
const PARAMETER = '/eks-windows-patch/rehearsal/win2022-core-131/image_id';
const updates = (r: RehearsalReport) => callsOf(r, 'UpdateNodegroupVersion');
const parameter = async (r: RehearsalReport) =>
  ((await r.account.call('SSM', 'GetParameters', { Names: [PARAMETER] })) as { Parameters: { Value: string }[] }).Parameters[0]?.Value;
const ngVersion = async (r: RehearsalReport, nodegroupName: string) =>
  ((await r.account.call('EKS', 'DescribeNodegroup', { clusterName: 'prod-eks', nodegroupName })) as { nodegroup: { launchTemplate: { version: string }; resources: { autoScalingGroups: { name: string }[] } } }).nodegroup;

describe('one variant with an ASG and two managed node groups', () => {
  it('updates each managed node group once, to a new version made from the one it uses, and patches all three', async () => {
    const r = await rehearse(loadScenario('local/scenarios/managed-node-groups.yml'), { logLevel: 'SILENT' });

    expect(r.status).toBe('SUCCEEDED');
    const made = callsOf(r, 'CreateLaunchTemplateVersion');
    const web = made.find((c) => c.SourceVersion === '2');
    expect(web).toBeDefined();
    expect(updates(r).map((u) => [u.nodegroupName, (u.launchTemplate as { version: string }).version, u.force])).toEqual([
      ['win2022-web', '3', false],
      ['win2022-api', '2', false],
    ]);
    // The ASG of a managed node group is never refreshed behind EKS's back.
    expect(callsOf(r, 'StartInstanceRefresh').map((c) => c.AutoScalingGroupName)).toEqual(['eks-win2022-canary']);
    const amiId = await parameter(r);
    expect(amiId).toMatch(/^ami-/);
    expect(amiId).not.toBe('ami-0b2022c0000000001');
    for (const [name, version] of [['win2022-web', '3'], ['win2022-api', '2']] as const) {
      const ng = await ngVersion(r, name);
      expect(ng.launchTemplate.version).toBe(version);
      const asg = ng.resources.autoScalingGroups[0]?.name as string;
      expect([...new Set(r.account.instances(asg).map((i) => i.imageId))]).toEqual([amiId]);
    }
    expect([...new Set(r.account.instances('eks-win2022-canary').map((i) => i.imageId))]).toEqual([amiId]);
    const summary = r.notifications.find((n) => n.subject?.startsWith('All nodes patched'));
    expect(summary?.subject).toBe('All nodes patched: 3 node group(s) on new AMIs');
  });
});

describe('a managed node group whose update fails with PodEvictionFailure', () => {
  it('stops the line, quotes EKS, updates the group back, touches no later group and keeps the previous AMI in the parameter', async () => {
    const r = await rehearse(loadScenario('local/scenarios/managed-update-failure.yml'), { logLevel: 'SILENT' });

    expect(r.status).toBe('FAILED');
    expect(updates(r).map((u) => [u.nodegroupName, (u.launchTemplate as { version: string }).version])).toEqual([
      ['win2022-web', '3'],
      ['win2022-web', '2'],
    ]);
    const notice = r.notifications.find((n) => n.subject?.startsWith('FAILED rollout'))?.message ?? '';
    expect(notice).toMatch(/prod-eks\/win2022-web \(managed node group, ASG eks-win2022-web-[^)]+\): .* - update back to launch template version 2 started \(EKS has no rollback\); EKS update Failed: PodEvictionFailure: /);

    expect(notice).toMatch(/never touched \(1\): eks-win2022-api-/);
    expect((await ngVersion(r, 'win2022-api')).launchTemplate.version).toBe('1');
    expect(await parameter(r)).toBe('ami-0b2022c0000000001');
  });
});
