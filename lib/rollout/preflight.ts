import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import { isUnpinned, overridesRootVolume } from './launch-template-in-use.js';

const SSM_IMAGE = 'resolve:ssm:';

/**
 * Preflight rules for one node group. Refused: no launch template (launch
 * configurations), $Latest/$Default or an ImageId taken from an SSM parameter
 * unless allowed (AutoRollback impossible: IrreversibleInstanceRefresh).
 * Warned: no termination hook (pods are not drained), a root volume override
 * (Fast Launch snapshots unused).
 * Refused too: a MixedInstancesPolicy override on another launch template (it would need
 * its own new version with the patched AMI, which the pipeline does not create; left as it
 * is, it would keep launching the old AMI). createWaveVersions checks it again at the wave.
 */
export function assessNodeGroup(
  asg: AutoScalingGroup,
  usedVersion: string | undefined,
  version: LaunchTemplateVersion | undefined,
  allowUnpinned: boolean,
  hasTerminationHook: boolean,
): { problems: string[]; warnings: string[] } {
  const name = asg.AutoScalingGroupName;
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!usedVersion) problems.push(`ASG ${name} has no launch template (a launch configuration?): move it to a launch template first`);
  else if (!version) problems.push(`ASG ${name}: launch template version ${usedVersion} was not found`);
  else if (isUnpinned(usedVersion) && !allowUnpinned)
    problems.push(
      `ASG ${name} uses launch template version ${usedVersion}, so a failed refresh could not roll back: pin the ASG to a version number (it runs ${version.VersionNumber} now), or set rollout.allowUnpinnedVersions: true to accept that`,
    );
  else if (isUnpinned(usedVersion)) warnings.push(`ASG ${name} uses ${usedVersion}: a failed refresh cannot roll back automatically`);
  // AWS resolves resolve:ssm: at each launch, so the old version names no AMI to return to: it refuses AutoRollback.
  const image = version?.LaunchTemplateData?.ImageId;
  if (version && image?.startsWith(SSM_IMAGE)) {
    const parameter = image.slice(SSM_IMAGE.length);
    if (!allowUnpinned)
      problems.push(
        `ASG ${name}: launch template version ${version.VersionNumber} takes its AMI from the SSM parameter ${parameter} (ImageId ${image}), so a failed refresh could not roll back: put an AMI id in the launch template, or set rollout.allowUnpinnedVersions: true to accept that`,
      );
    else warnings.push(`ASG ${name} takes its AMI from the SSM parameter ${parameter}: a failed refresh cannot roll back automatically`);
  }
  const foreign = foreignOverrides(asg);
  if (foreign.length)
    problems.push(
      `ASG ${name}: its MixedInstancesPolicy has overrides on another launch template (${foreign.join(', ')}); each would need its own new version with the patched AMI, which is not supported yet: move those instance types onto the group's launch template, or leave the group out of the rollout`,
    );
  if (version && overridesRootVolume(version))
    warnings.push(`ASG ${name}: its launch template overrides the root volume (/dev/sda1), so launches ignore the Fast Launch snapshots`);
  if (!hasTerminationHook)
    warnings.push(`ASG ${name} has no termination lifecycle hook: replaced nodes are not drained (consider aws-node-termination-handler in queue mode)`);
  return { problems, warnings };
}

/** Overrides whose own LaunchTemplateSpecification names a template other than the group's: "<instance type> on <template>". */
function foreignOverrides(asg: AutoScalingGroup): string[] {
  const lt = asg.MixedInstancesPolicy?.LaunchTemplate;
  const own = lt?.LaunchTemplateSpecification;
  return (lt?.Overrides ?? []).flatMap((o) => {
    const spec = o.LaunchTemplateSpecification;
    if (!spec) return [];
    const same = spec.LaunchTemplateId !== undefined && own?.LaunchTemplateId !== undefined ? spec.LaunchTemplateId === own.LaunchTemplateId : spec.LaunchTemplateName === own?.LaunchTemplateName;
    return same ? [] : [`${o.InstanceType ?? 'an instance type'} on ${spec.LaunchTemplateName ?? spec.LaunchTemplateId ?? 'an unnamed template'}`];
  });
}
