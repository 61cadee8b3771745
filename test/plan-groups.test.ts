import { describe, expect, it } from 'vitest';
import { callsOf, generateScenario, loadScenario, rehearse, touched, type RehearsalReport, type Scenario } from './support/rehearse.js';

const planFailure = (report: RehearsalReport) => report.notifications.find((n) => n.subject?.startsWith('FAILED plan'))?.message ?? '';
const allText = (report: RehearsalReport) => report.notifications.map((n) => n.message).join('\n');
const refreshed = (report: RehearsalReport) => callsOf(report, 'StartInstanceRefresh').map((c) => String(c.AutoScalingGroupName));

const WIN2022 = [{ windows: '2022' as const, edition: 'Core' as const, kubernetes: '1.31' }];
const G0 = 'ng-win2022-core-131-0000';
const G1 = 'ng-win2022-core-131-0001';
const G2 = 'ng-win2022-core-131-0002';

/** One 2022 variant over `n` groups; `edit` changes the scenario before the rehearsal. */
function scenario(n: number, edit: (s: Scenario) => void = () => {}, spec: Partial<Parameters<typeof generateScenario>[0]> = {}): Scenario {
  const s = generateScenario({ variants: WIN2022, nodeGroups: n, ...spec });
  edit(s);
  return s;
}
const lt = (s: Scenario, name: string) => {
  const found = s.fleet.launchTemplates.find((l) => l.name === name);
  if (!found) throw new Error(`no launch template ${name}`);
  return found;
};
const group = (s: Scenario, name: string) => {
  const found = s.fleet.autoScalingGroups.find((g) => g.name === name);
  if (!found) throw new Error(`no group ${name}`);
  return found;
};

describe('the group really is this variant\'s Windows (item 2)', () => {
  it('refuses a Linux group a tag selector catches, naming group and AMI, and writes nothing', async () => {
    const report = await rehearse(loadScenario('local/scenarios/linux-caught.yml'));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain('ASG eks-linux-system runs AMI ami-0d0d0000000000001 (amazon-eks-node-1.31-v20261112), which is not a Windows AMI');
    expect(callsOf(report, 'DescribeImages').flatMap((c) => c.ImageIds as string[])).toContain('ami-0d0d0000000000001');
    expect(touched(report)).toEqual([]);
  });

  it('refuses a group running another Windows Server version, naming both', async () => {
    const report = await rehearse(
      scenario(2, (s) => {
        s.fleet.amis.push({ id: 'ami-0e0e0000000000019', name: 'Windows_Server-2019-English-Core-EKS_Optimized-1.31-2026.10.08', platform: 'windows' });
        lt(s, G1).versions[0]!.imageId = 'ami-0e0e0000000000019';
      }),
    );

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`ASG ${G1} runs AMI ami-0e0e0000000000019 (Windows_Server-2019-English-Core-EKS_Optimized-1.31-2026.10.08), which is Windows Server 2019 Core, but variant win2022-core-131 is Windows Server 2022 Core`);
    expect(touched(report)).toEqual([]);
  });
});

describe('groups the pipeline must not touch directly (item 3)', () => {
  it('refuses an EKS managed node group\'s ASG named in config, with the exact config line to use instead', async () => {
    const report = await rehearse(scenario(2, (s) => void (group(s, G1).tags = { 'eks:nodegroup-name': 'win-mng', 'eks:cluster-name': 'prod' })));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`ASG ${G1} belongs to the EKS managed node group win-mng of cluster prod`);
    expect(planFailure(report)).toContain('Replace its entry in nodeGroups with: { managedNodeGroup: win-mng, cluster: prod }');
    expect(touched(report)).toEqual([]);
  });

  it('refuses a managed node group\'s ASG that a tag selector catches, with the same line', async () => {
    const report = await rehearse(
      scenario(2, (s) => {
        group(s, G1).tags = { pool: 'win', 'eks:nodegroup-name': 'win-mng', 'eks:cluster-name': 'prod' };
        group(s, G0).tags = { pool: 'win' };
        s.config.variants[0]!.nodeGroups = [{ tag: { key: 'pool', value: 'win' }, canary: false }];
      }),
    );

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`ASG ${G1} belongs to the EKS managed node group win-mng of cluster prod: refreshing it directly would leave the node group degraded (Ec2LaunchTemplateVersionMismatch); EKS must update it. Replace its entry in nodeGroups with: { managedNodeGroup: win-mng, cluster: prod }`);
    expect(touched(report)).toEqual([]);
  });

  it('warns that a CloudFormation-owned group gets the old AMI back on the next stack update, and still patches it', async () => {
    const report = await rehearse(scenario(2, (s) => void (group(s, G1).tags = { 'aws:cloudformation:stack-name': 'eksctl-prod-nodegroup-win' })));

    expect(report.status).toBe('SUCCEEDED');
    expect(allText(report)).toContain(`ASG ${G1}: it or its launch template belongs to the CloudFormation stack eksctl-prod-nodegroup-win, so the next update of that stack writes the old AMI back`);
    expect(refreshed(report).sort()).toEqual([G0, G1]);
  });
});

describe('root volume (item 4)', () => {
  it('refuses an eksctl-style template with an 80 GiB root volume, naming both sizes', async () => {
    const report = await rehearse(loadScenario('local/scenarios/root-volume-80.yml'));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toMatch(/ASG eks-win2022-apps: launch template eks-win2022-apps version 1 sets the root volume \(\/dev\/sda1\) to 80 GiB, smaller than the patched AMI's 100 GiB \(imageBuilder\.rootVolumeGiB\)/);
    expect(touched(report)).toEqual([]);
  });

  it('accepts a root volume at least imageBuilder.rootVolumeGiB', async () => {
    const report = await rehearse(scenario(1, (s) => void (lt(s, G0).versions[0]!.rootVolumeGiB = 120)));

    expect(report.status).toBe('SUCCEEDED');
    expect(refreshed(report)).toEqual([G0]);
  });
});

describe('groups that cannot be refreshed (item 6)', () => {
  it('refuses a group with Launch or InstanceRefresh suspended, naming the processes and how to resume them', async () => {
    const report = await rehearse(scenario(2, (s) => void (group(s, G1).suspendedProcesses = ['Launch', 'InstanceRefresh'])));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`ASG ${G1} has Launch, InstanceRefresh suspended, so an instance refresh would replace no instance`);
    expect(planFailure(report)).toContain(`aws autoscaling resume-processes --auto-scaling-group-name ${G1} --scaling-processes Launch InstanceRefresh`);
    expect(touched(report)).toEqual([]);
  });

  it('warns about suspended health checks and about a warm pool, and still patches both groups', async () => {
    const report = await rehearse(
      scenario(2, (s) => {
        group(s, G0).suspendedProcesses = ['ReplaceUnhealthy'];
        group(s, G1).warmPool = true;
      }),
    );

    expect(report.status).toBe('SUCCEEDED');
    expect(allText(report)).toContain(`ASG ${G0} has ReplaceUnhealthy suspended: a new node that fails its health checks is not replaced`);
    expect(allText(report)).toContain(`ASG ${G1} has a warm pool: the refresh replaces the warm pool's instances as well`);
    expect(refreshed(report).sort()).toEqual([G0, G1]);
  });
});

describe('the canary decides (item 8)', () => {
  it('warns when a variant has no canary group', async () => {
    const report = await rehearse(scenario(2, () => {}, { canariesPerVariant: 0 }));

    expect(report.status).toBe('SUCCEEDED');
    expect(allText(report)).toContain(`no canary group: the first wave (${G0}, ${G1}) takes the new AMI first`);
  });
});

describe('waves follow the config (item 9)', () => {
  it('keeps named groups in the operator\'s order and sorts tag-selected groups by name at their selector\'s place', async () => {
    const report = await rehearse(
      scenario(4, (s) => {
        group(s, G1).tags = { pool: 'x' };
        group(s, G0).tags = { pool: 'x' };
        const [variant] = s.config.variants;
        variant!.nodeGroups = [
          { asgName: 'ng-win2022-core-131-0003', canary: false },
          { tag: { key: 'pool', value: 'x' }, canary: false },
          { asgName: G2, canary: false },
        ];
      }, { waveSize: 1 }),
    );

    expect(report.status).toBe('SUCCEEDED');
    expect(refreshed(report)).toEqual(['ng-win2022-core-131-0003', G0, G1, G2]);
  });
});

describe('selectors that match nothing (item 10)', () => {
  it('fails the plan naming a tag selector that matches no ASG, and writes nothing', async () => {
    const report = await rehearse(scenario(1, (s) => void s.config.variants[0]!.nodeGroups.push({ tag: { key: 'team', value: 'nobody' }, canary: false })));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain('variant win2022-core-131: the node group selector tag team=nobody matches no Auto Scaling group in this region');
    expect(touched(report)).toEqual([]);
  });
});

describe('unpinned versions, if allowed (item 11)', () => {
  /** G0 and G1 both follow G0's template at $Latest; only G0 is in the config (G1 is outside the run) unless `both`. */
  const shared = (both: boolean, allowShared = false) =>
    scenario(2, (s) => {
      for (const name of [G0, G1]) Object.assign(group(s, name), { launchTemplate: G0, version: '$Latest' });
      s.config.rollout.allowUnpinnedVersions = true;
      s.config.rollout.allowSharedUnpinnedTemplates = allowShared;
      if (!both) s.config.variants[0]!.nodeGroups = s.config.variants[0]!.nodeGroups.filter((n) => n.asgName === G0);
    });

  it('refuses a $Latest template shared with a group outside the run, naming it, and writes nothing', async () => {
    const report = await rehearse(shared(false));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toMatch(new RegExp(`ASG ${G0} uses launch template lt-\\w+ at \\$Latest, which ${G1} outside this run also follows`));
    expect(planFailure(report)).toContain('rollout.allowSharedUnpinnedTemplates: true');
    expect(touched(report)).toEqual([]);
  });

  it('names every other group sharing the template when they are all in the run', async () => {
    const report = await rehearse(shared(true));

    expect(allText(report)).toMatch(new RegExp(`ASG ${G0} shares launch template lt-\\w+ \\(\\$Latest/\\$Default\\) with ${G1}`));
    expect(planFailure(report)).toBe('');
  });

  it('accepts a template shared outside the run with rollout.allowSharedUnpinnedTemplates, still naming the group', async () => {
    const report = await rehearse(shared(false, true));

    expect(planFailure(report)).toBe('');
    expect(allText(report)).toContain(`with ${G1}: the new version reaches all of them at once`);
  });
});

describe('AMIs from the execution input are owned by the right account (item 12)', () => {
  it('refuses a baseAmi owned by another account, however it is named or tagged', async () => {
    const report = await rehearse(
      scenario(1, (s) => void s.fleet.amis.push({ id: 'ami-0f0f0000000000022', name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12', platform: 'windows', owner: '444455556666' }), {
        input: { variants: ['win2022-core-131'], baseAmi: 'ami-0f0f0000000000022' },
      }),
    );

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain('input.baseAmi: AMI ami-0f0f0000000000022 (Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12) is owned by account 444455556666, neither Amazon nor this account');
    expect(touched(report)).toEqual([]);
  });

  it('refuses an amiId to roll out that Amazon owns: only this account\'s AMIs are rolled out as they are', async () => {
    const s = scenario(1, () => {}, { input: { variants: ['win2022-core-131'], stages: ['rollout'], amiId: 'PLACEHOLDER' } });
    const published = s.fleet.amis.find((a) => a.name.includes('EKS_Optimized'))!.id;
    s.input = { ...s.input, amiId: published };

    const report = await rehearse(s);

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`input.amiId: AMI ${published} (Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12) is owned by account 801119661308 (amazon), not by this account (111122223333)`);
    expect(touched(report)).toEqual([]);
  });
});

describe('inputs mean what they say (item 22)', () => {
  it('with nodeGroups naming one variant\'s groups, builds and rolls out only that variant', async () => {
    const report = await rehearse(generateScenario({ nodeGroups: 4, input: { nodeGroups: ['ng-win2019-core-131-0001'] } }));

    expect(report.status).toBe('SUCCEEDED');
    expect(callsOf(report, 'CreateImage')).toHaveLength(1);
    expect(refreshed(report)).toEqual(['ng-win2019-core-131-0001']);
    expect(report.executions.filter((e) => e.name.includes('win2022'))).toEqual([]);
  });
});
