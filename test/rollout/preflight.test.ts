import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { NodeGroupPlan } from '../../lib/plan/types.js';
import { assessNodeGroup } from '../../lib/rollout/preflight.js';
import { splitIntoWaves } from '../../lib/rollout/waves.js';

const asg = { AutoScalingGroupName: 'ng-apps' } as AutoScalingGroup;
const version = (over: LaunchTemplateVersion = {}): LaunchTemplateVersion => ({ LaunchTemplateId: 'lt-1', VersionNumber: 3, LaunchTemplateData: { ImageId: 'ami-00000001' }, ...over });

describe('preflight of a node group', () => {
  it('passes a pinned group with a termination hook and no warnings', () => {
    expect(assessNodeGroup(asg, '3', version(), false, true)).toEqual({ problems: [], warnings: [] });
  });

  it('refuses a mixed-instances group whose override names another launch template, naming type and template', () => {
    const mixed = {
      AutoScalingGroupName: 'ng-mixed',
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', LaunchTemplateName: 'ng-mixed', Version: '3' },
          Overrides: [{ InstanceType: 'm5.large' }, { InstanceType: 'm6i.large', LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: '3' } }, { InstanceType: 'c5.xlarge', LaunchTemplateSpecification: { LaunchTemplateName: 'ng-other', Version: '1' } }],
        },
      },
    } as AutoScalingGroup;

    const { problems } = assessNodeGroup(mixed, '3', version(), false, true);

    expect(problems).toEqual([expect.stringContaining('ASG ng-mixed: its MixedInstancesPolicy has overrides on another launch template (c5.xlarge on ng-other)')]);
  });

  it.each(['$Latest', '$Default'])('refuses an ASG on %s by default, naming the ASG and both fixes', (v) => {
    const { problems } = assessNodeGroup(asg, v, version(), false, true);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('ASG ng-apps');
    expect(problems[0]).toContain(v);
    expect(problems[0]).toContain('pin the ASG to a version number (it runs 3 now)');
    expect(problems[0]).toContain('rollout.allowUnpinnedVersions: true');
  });

  it('allows an ASG on $Latest with rollout.allowUnpinnedVersions, with a warning', () => {
    const { problems, warnings } = assessNodeGroup(asg, '$Latest', version(), true, true);

    expect(problems).toEqual([]);
    expect(warnings).toEqual(['ASG ng-apps uses $Latest: a failed refresh cannot roll back automatically']);
  });

  describe('a launch template whose ImageId is an SSM parameter', () => {
    const ssmVersion = version({ LaunchTemplateData: { ImageId: 'resolve:ssm:/eks/windows/node-ami' } });

    it('refuses it by default, naming the ASG, the parameter and both fixes', () => {
      const { problems } = assessNodeGroup(asg, '3', ssmVersion, false, true);

      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('ASG ng-apps');
      expect(problems[0]).toContain('SSM parameter /eks/windows/node-ami');
      expect(problems[0]).toContain('could not roll back');
      expect(problems[0]).toContain('put an AMI id in the launch template');
      expect(problems[0]).toContain('rollout.allowUnpinnedVersions: true');
    });

    it('allows it with rollout.allowUnpinnedVersions, with a warning', () => {
      const { problems, warnings } = assessNodeGroup(asg, '3', ssmVersion, true, true);

      expect(problems).toEqual([]);
      expect(warnings).toEqual(['ASG ng-apps takes its AMI from the SSM parameter /eks/windows/node-ami: a failed refresh cannot roll back automatically']);
    });

    it('reports both reasons for a group on $Latest with an SSM ImageId', () => {
      const { problems } = assessNodeGroup(asg, '$Latest', ssmVersion, false, true);

      expect(problems).toEqual([expect.stringContaining('$Latest'), expect.stringContaining('SSM parameter /eks/windows/node-ami')]);
    });
  });

  it('warns when the node launch template overrides the root volume', () => {
    const v = version({ LaunchTemplateData: { BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 100 } }] } });
    const { problems, warnings } = assessNodeGroup(asg, '3', v, false, true);

    expect(problems).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining('overrides the root volume (/dev/sda1), so launches ignore the Fast Launch snapshots')]);
  });

  it('warns when the ASG has no termination lifecycle hook', () => {
    const { warnings } = assessNodeGroup(asg, '3', version(), false, false);

    expect(warnings).toEqual([expect.stringContaining('ASG ng-apps has no termination lifecycle hook')]);
  });

  it('refuses a launch-configuration ASG and a missing version', () => {
    expect(assessNodeGroup(asg, undefined, undefined, false, true).problems[0]).toContain('has no launch template');
    expect(assessNodeGroup(asg, '9', undefined, false, true).problems[0]).toContain('launch template version 9 was not found');
  });
});

describe('waves', () => {
  const g = (n: number, canary = false): NodeGroupPlan => ({ asgName: `ng-${n}`, launchTemplateId: `lt-${n}`, version: '1', canary, imageId: 'ami-00000001' });

  it('puts the canaries first on their own, then the rest in config order in waves of waveSize', () => {
    const waves = splitIntoWaves([g(0), g(1, true), g(2), g(3, true), g(4), g(5), g(6), g(7)], 4);

    expect(waves.map((w) => w.map((x) => x.asgName))).toEqual([['ng-1', 'ng-3'], ['ng-0', 'ng-2', 'ng-4', 'ng-5'], ['ng-6', 'ng-7']]);
  });

  it('starts with the first waveSize groups when there is no canary', () => {
    expect(splitIntoWaves([g(0), g(1), g(2)], 2).map((w) => w.length)).toEqual([2, 1]);
  });
});
