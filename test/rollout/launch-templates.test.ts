import { AutoScalingClient, DescribeAutoScalingGroupsCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateVersionCommand, EC2Client, ModifyLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeGroupPlan } from '../../lib/plan/types.js';
import { isUnpinned, launchTemplateInUse, overridesRootVolume } from '../../lib/rollout/launch-template-in-use.js';
import { LaunchTemplateError } from '../../lib/errors.js';
import { createWaveVersions } from '../../lib/rollout/launch-templates.js';

const NEW_AMI = 'ami-0123456789abcdef0';
const OLD_AMI = 'ami-0fedcba9876543210';
const ec2 = mockClient(EC2Client);
const autoScaling = mockClient(AutoScalingClient);

const group = (asgName: string, over: Partial<NodeGroupPlan> = {}): NodeGroupPlan => ({
  asgName,
  launchTemplateId: `lt-${asgName.padStart(17, '0')}`,
  version: '7',
  canary: false,
  imageId: OLD_AMI,
  ...over,
});

/** Auto Scaling as it stands when the wave starts: each ASG on its planned template and version unless told otherwise. */
function asgsNow(over: Record<string, { version?: string; launchTemplateId?: string; mixed?: boolean; overrideLt?: string }> = {}) {
  autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake((input: { AutoScalingGroupNames?: string[] }) => ({
    AutoScalingGroups: (input.AutoScalingGroupNames ?? []).map((name) => {
      const o = over[name] ?? {};
      const spec = { LaunchTemplateId: o.launchTemplateId ?? group(name).launchTemplateId, Version: o.version ?? '7' };
      return o.mixed
        ? { AutoScalingGroupName: name, MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: spec, Overrides: [{ InstanceType: 'm6i.xlarge' }, ...(o.overrideLt ? [{ InstanceType: 'm5.xlarge', LaunchTemplateSpecification: { LaunchTemplateId: o.overrideLt, Version: '3' } }] : [])] } } }
        : { AutoScalingGroupName: name, LaunchTemplate: spec };
    }),
  }));
}

beforeEach(() => {
  ec2.reset();
  autoScaling.reset();
  ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 8 } });
  ec2.on(ModifyLaunchTemplateCommand).resolves({});
  asgsNow();
});
afterEach(() => {
  ec2.reset();
  autoScaling.reset();
});

describe('the launch template version an ASG uses', () => {
  it('reads a pinned version number from the ASG', () => {
    const asg: AutoScalingGroup = { AutoScalingGroupName: 'a', LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '6' } } as AutoScalingGroup;
    expect(launchTemplateInUse(asg)).toEqual({ launchTemplateId: 'lt-1', launchTemplateName: undefined, version: '6' });
  });

  it('reads the spec inside a MixedInstancesPolicy', () => {
    const asg = {
      AutoScalingGroupName: 'a',
      MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-2', Version: '4' }, Overrides: [] } },
    } as unknown as AutoScalingGroup;
    expect(launchTemplateInUse(asg)?.version).toBe('4');
    expect(launchTemplateInUse(asg)?.launchTemplateId).toBe('lt-2');
  });

  it('treats a spec without a version as $Default, as Auto Scaling does', () => {
    const asg = { AutoScalingGroupName: 'a', LaunchTemplate: { LaunchTemplateName: 'nodes' } } as AutoScalingGroup;
    expect(launchTemplateInUse(asg)?.version).toBe('$Default');
  });

  it('finds no launch template on a launch-configuration ASG', () => {
    expect(launchTemplateInUse({ AutoScalingGroupName: 'a', LaunchConfigurationName: 'old' } as AutoScalingGroup)).toBeUndefined();
  });

  it('calls only $Latest and $Default unpinned', () => {
    expect([isUnpinned('$Latest'), isUnpinned('$Default'), isUnpinned('3')]).toEqual([true, true, false]);
  });

  it('spots a root volume override (launches would ignore the Fast Launch snapshots)', () => {
    expect(overridesRootVolume({ LaunchTemplateData: { BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 100 } }] } })).toBe(true);
    expect(overridesRootVolume({ LaunchTemplateData: { BlockDeviceMappings: [{ DeviceName: 'xvdb', Ebs: { VolumeSize: 100 } }] } })).toBe(false);
    expect(overridesRootVolume({ LaunchTemplateData: {} })).toBe(false);
  });
});

describe('new launch template versions for a wave', () => {
  it('creates each version from the version in use with only ImageId changed and a deterministic token', async () => {
    const targets = await createWaveVersions([group('ng-a')], NEW_AMI, 'run-2026-11-15');

    const calls = ec2.commandCalls(CreateLaunchTemplateVersionCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toEqual({
      LaunchTemplateId: 'lt-0000000000000ng-a',
      SourceVersion: '7',
      VersionDescription: `eks-windows-patch run-2026-11-15: ${NEW_AMI}`,
      LaunchTemplateData: { ImageId: NEW_AMI },
      ClientToken: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(targets).toEqual([{ asgName: 'ng-a', launchTemplateId: 'lt-0000000000000ng-a', fromVersion: '7', toVersion: '8', mixed: false }]);
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand)).toHaveLength(0);
  });

  it('uses the same ClientToken when the step is retried and another one for another run', async () => {
    await createWaveVersions([group('ng-a')], NEW_AMI, 'run-1');
    await createWaveVersions([group('ng-a')], NEW_AMI, 'run-1');
    await createWaveVersions([group('ng-a')], NEW_AMI, 'run-2');

    const tokens = ec2.commandCalls(CreateLaunchTemplateVersionCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
  });

  it('creates one version for groups that share a launch template and version', async () => {
    const shared = { launchTemplateId: 'lt-0000000000000000a' };
    asgsNow({ 'ng-a': shared, 'ng-b': shared });
    const targets = await createWaveVersions([group('ng-a', shared), group('ng-b', shared)], NEW_AMI, 'run-1');

    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(1);
    expect(targets.map((t) => t.toVersion)).toEqual(['8', '8']);
  });

  it('leaves a group already on the AMI alone', async () => {
    const targets = await createWaveVersions([group('ng-a', { imageId: NEW_AMI })], NEW_AMI, 'run-1');

    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(0);
    expect(targets[0]?.toVersion).toBeNull();
  });

  it('never moves the default version before the refresh (ASGs on $Default would launch it at once)', async () => {
    await createWaveVersions([group('ng-a'), group('ng-b')], NEW_AMI, 'run-1');

    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(2);
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand)).toHaveLength(0);
  });

  it('builds on the version inside a MixedInstancesPolicy and marks the group mixed', async () => {
    asgsNow({ 'ng-a': { mixed: true, version: '4' } });

    const targets = await createWaveVersions([group('ng-a', { version: '4' })], NEW_AMI, 'run-1');

    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0]?.args[0].input).toMatchObject({ SourceVersion: '4', LaunchTemplateData: { ImageId: NEW_AMI } });
    expect(targets[0]).toMatchObject({ fromVersion: '4', toVersion: '8', mixed: true });
  });

  it('refuses a mixed group whose override names another launch template, before any write', async () => {
    asgsNow({ 'ng-a': { mixed: true, overrideLt: 'lt-0fffffffffffffff0' } });

    await expect(createWaveVersions([group('ng-a'), group('ng-b')], NEW_AMI, 'run-1')).rejects.toThrow(/override m5\.xlarge uses launch template lt-0fffffffffffffff0.*point the override at the group's template/);
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(0);
  });

  it('builds on the number an allowed $Latest group resolved to in the plan', async () => {
    asgsNow({ 'ng-a': { version: '$Latest' } });

    await createWaveVersions([group('ng-a', { version: '5' })], NEW_AMI, 'run-1');

    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0]?.args[0].input.SourceVersion).toBe('5');
  });

  it('builds on the version the ASG moved to since the plan', async () => {
    asgsNow({ 'ng-a': { version: '9' } });

    const targets = await createWaveVersions([group('ng-a')], NEW_AMI, 'run-1');

    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0]?.args[0].input.SourceVersion).toBe('9');
    expect(targets[0]?.fromVersion).toBe('9');
  });

  it('refuses, writing nothing, when the ASG moved to another launch template or is gone', async () => {
    asgsNow({ 'ng-a': { launchTemplateId: 'lt-0aaaaaaaaaaaaaaaa' } });
    await expect(createWaveVersions([group('ng-a')], NEW_AMI, 'run-1')).rejects.toThrow(LaunchTemplateError);

    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(createWaveVersions([group('ng-a')], NEW_AMI, 'run-1')).rejects.toThrow(/ASG ng-a was not found any more/);
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(0);
  });
});
