import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';

/**
 * Which launch template an ASG launches from, and which version. eksctl and AWS's
 * node group templates pin a version *number*; a MixedInstancesPolicy keeps the
 * spec one level down. Launch configurations cannot carry a Fast Launch AMI rollout.
 */
export interface LaunchTemplateRef {
  launchTemplateId?: string;
  launchTemplateName?: string;
  version: string;
}

export function launchTemplateInUse(asg: AutoScalingGroup): LaunchTemplateRef | undefined {
  const spec = asg.LaunchTemplate ?? asg.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (!spec || (!spec.LaunchTemplateId && !spec.LaunchTemplateName)) return undefined;
  return { launchTemplateId: spec.LaunchTemplateId, launchTemplateName: spec.LaunchTemplateName, version: spec.Version ?? '$Default' };
}

/** $Latest/$Default make AutoRollback impossible (IrreversibleInstanceRefresh): there is no version to return to. */
export function isUnpinned(version: string): boolean {
  return version === '$Latest' || version === '$Default';
}

/**
 * A root block device override makes launches ignore the Fast Launch pre-provisioned
 * snapshots, so new Windows nodes boot the slow way.
 */
export function overridesRootVolume(version: LaunchTemplateVersion): boolean {
  return (version.LaunchTemplateData?.BlockDeviceMappings ?? []).some((m) => m.DeviceName === '/dev/sda1' && m.Ebs !== undefined);
}
