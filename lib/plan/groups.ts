import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { AmiFacts } from '../amis.js';
import type { Variant } from '../config.js';
import { isUnpinned, launchTemplateInUse } from '../rollout/launch-template-in-use.js';
import { TAG } from '../tags.js';
import { managedAsgProblems } from './managed.js';

/**
 * Checks of one selected group against the account, all pure: the AMI it runs today, who
 * owns the group, its root volume, and what Auto Scaling will and will not do with it.
 */

type GroupVariant = Pick<Variant, 'id' | 'windows' | 'edition'>;

/** "Windows_Server-2022-English-Core-…" (AWS's names, EKS-optimized or not). */
const WINDOWS_NAME = /Windows_Server-(\d{4})-English-(Core|Full)(?:-|$)/;

/** A Windows year in a custom name: "eks-win2022-node", "windows-2019-base", "WinServer2025". */
const LOOSE_YEAR = /win(?:dows)?[-_ ]?(?:server[-_ ]?)?(2019|2022|2025)/i;

export const tagsOf = (asg: AutoScalingGroup): Record<string, string> => Object.fromEntries((asg.Tags ?? []).flatMap((t) => (t.Key ? [[t.Key, t.Value ?? '']] : [])));

/**
 * A tag selector can catch a Linux node group or another Windows version's: rolling this
 * variant's AMI onto it would replace its nodes with ones that cannot run its pods. The
 * AMI the group runs today decides: Platform windows, and the Windows Server version and
 * edition read from our variant tag or AWS's AMI name; a custom name that carries a Windows
 * year ("eks-win2022-node") must carry this variant's. A custom name without either is the
 * operator's call (like a custom baseAmi).
 */
export function groupAmiProblems(asgName: string, imageId: string, ami: AmiFacts | undefined, variant: GroupVariant): string[] {
  if (imageId.startsWith('resolve:ssm:')) return [];
  const wanted = `Windows Server ${variant.windows} ${variant.edition}`;
  if (!ami) return [`ASG ${asgName} runs AMI ${imageId}, which this account cannot describe (deregistered or no longer shared): cannot confirm it is ${wanted}`];
  if (!ami.windows) return [`ASG ${asgName} runs AMI ${imageId} (${ami.name}), which is not a Windows AMI: variant ${variant.id} is ${wanted}; take the group out of the variant's nodeGroups (check its tag selector)`];
  const tag = ami.tags[TAG.variant];
  if (tag !== undefined) return tag === variant.id ? [] : [`ASG ${asgName} runs AMI ${imageId} (${ami.name}), tagged ${TAG.variant}=${tag}, but variant ${variant.id} selects it: a node group belongs to the variant of its AMI`];
  const m = WINDOWS_NAME.exec(ami.name);
  if (!m) {
    const year = LOOSE_YEAR.exec(ami.name)?.[1];
    return year === undefined || year === variant.windows ? [] : [`ASG ${asgName} runs AMI ${imageId} (${ami.name}), named for Windows Server ${year}, but variant ${variant.id} is ${wanted}`];
  }
  if (m[1] === variant.windows && m[2] === variant.edition) return [];
  return [`ASG ${asgName} runs AMI ${imageId} (${ami.name}), which is Windows Server ${m[1]} ${m[2]}, but variant ${variant.id} is ${wanted}`];
}

/**
 * EKS managed node groups own their ASG and launch template version: a refresh behind
 * EKS's back degrades the node group (Ec2LaunchTemplateVersionMismatch), so their ASG is
 * refused with the managedNodeGroup line to configure instead (lib/plan/managed.ts).
 * CloudFormation writes its own AMI back on the next stack update.
 */
export function ownershipVerdict(asg: AutoScalingGroup, launchTemplateTags: Record<string, string>): { problems: string[]; warnings: string[] } {
  const name = asg.AutoScalingGroupName;
  const tags = tagsOf(asg);
  const problems: string[] = [];
  const warnings: string[] = [];
  problems.push(...managedAsgProblems(asg, tags));
  const stack = tags['aws:cloudformation:stack-name'] ?? launchTemplateTags['aws:cloudformation:stack-name'];
  if (stack !== undefined)
    warnings.push(
      `ASG ${name}: it or its launch template belongs to the CloudFormation stack ${stack}, so the next update of that stack writes the old AMI back; make the stack's AMI a parameter and update the stack with the AMI this run builds (an SSM parameter holding it, for the stack to read, is coming: see issue 'Every kind of EKS Windows node')`,
    );
  return { problems, warnings };
}

/**
 * A launch whose root volume is smaller than the AMI's root snapshot fails in EC2 ("Volume
 * of size … is smaller than snapshot"); the patched AMI's root snapshot is
 * imageBuilder.rootVolumeGiB. Only a mapping for the AMI's root device counts.
 */
export function rootVolumeProblems(asgName: string, version: LaunchTemplateVersion, rootDeviceName: string | undefined, rootVolumeGiB: number): string[] {
  const device = rootDeviceName ?? '/dev/sda1';
  const mapping = (version.LaunchTemplateData?.BlockDeviceMappings ?? []).find((m) => m.DeviceName === device);
  const size = mapping?.Ebs?.VolumeSize;
  if (size === undefined || size >= rootVolumeGiB) return [];
  return [
    `ASG ${asgName}: launch template ${version.LaunchTemplateName ?? version.LaunchTemplateId} version ${version.VersionNumber} sets the root volume (${device}) to ${size} GiB, smaller than the patched AMI's ${rootVolumeGiB} GiB (imageBuilder.rootVolumeGiB): every launch would fail; raise the template's VolumeSize to at least ${rootVolumeGiB} or lower imageBuilder.rootVolumeGiB to ${size}`,
  ];
}

/**
 * Suspended processes and warm pools
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/understand-how-suspending-processes-affects-other-processes.html,
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefreshProgressDetails.html):
 * with Launch, Terminate or InstanceRefresh suspended a refresh replaces nothing and the
 * wave would wait to its deadline; with HealthCheck or ReplaceUnhealthy suspended a new
 * node that never becomes healthy is not replaced. A warm pool's instances are replaced too
 * (the refresh reports WarmPoolProgress apart from LivePoolProgress), so the wave takes longer.
 */
export function processVerdict(asg: AutoScalingGroup): { problems: string[]; warnings: string[] } {
  const name = asg.AutoScalingGroupName;
  const suspended = (asg.SuspendedProcesses ?? []).flatMap((p) => (p.ProcessName ? [p.ProcessName] : []));
  const stoppers = suspended.filter((p) => ['Launch', 'Terminate', 'InstanceRefresh'].includes(p));
  const weakened = suspended.filter((p) => ['HealthCheck', 'ReplaceUnhealthy'].includes(p));
  const problems = stoppers.length
    ? [`ASG ${name} has ${stoppers.join(', ')} suspended, so an instance refresh would replace no instance: resume ${stoppers.length > 1 ? 'them' : 'it'} (aws autoscaling resume-processes --auto-scaling-group-name ${name} --scaling-processes ${stoppers.join(' ')}) or take the group out of this run`]
    : [];
  const warnings = [
    ...(weakened.length ? [`ASG ${name} has ${weakened.join(', ')} suspended: a new node that fails its health checks is not replaced, and the refresh may wait for it until its deadline`] : []),
    ...(asg.WarmPoolConfiguration ? [`ASG ${name} has a warm pool: the refresh replaces the warm pool's instances as well, and the wave takes longer`] : []),
  ];
  return { problems, warnings };
}

/**
 * With rollout.allowUnpinnedVersions a group on $Latest/$Default takes the new version the
 * moment it is created, and so does every other group on that template with the same
 * habit, inside the run or not: its next launch (scale-out, replacement) gets the new AMI
 * without a canary. Name them all; groups outside the run are refused unless
 * rollout.allowSharedUnpinnedTemplates.
 */
export function sharedTemplateVerdict(
  group: { asgName: string; launchTemplateId: string; version: string },
  everyGroup: AutoScalingGroup[],
  inRun: Set<string>,
  allowShared: boolean,
): { problems: string[]; warnings: string[] } {
  if (!isUnpinned(group.version)) return { problems: [], warnings: [] };
  const sharing = everyGroup.flatMap((g) => {
    const ref = launchTemplateInUse(g);
    const name = g.AutoScalingGroupName as string;
    return name !== group.asgName && ref?.launchTemplateId === group.launchTemplateId && isUnpinned(ref.version) ? [name] : [];
  });
  if (!sharing.length) return { problems: [], warnings: [] };
  const outside = sharing.filter((n) => !inRun.has(n));
  const inside = sharing.filter((n) => inRun.has(n));
  const warnings = [`ASG ${group.asgName} shares launch template ${group.launchTemplateId} ($Latest/$Default) with ${sharing.join(', ')}: the new version reaches all of them at once`];
  const problems =
    outside.length && !allowShared
      ? [
          `ASG ${group.asgName} uses launch template ${group.launchTemplateId} at ${group.version}, which ${outside.join(', ')} outside this run also follow${outside.length === 1 ? 's' : ''}: the new version would reach ${outside.length === 1 ? 'it' : 'them'} untested; give each group its own template or pin the versions, or set rollout.allowSharedUnpinnedTemplates: true to accept that`,
        ]
      : [];
  return { problems, warnings: inside.length || problems.length === 0 ? warnings : [] };
}
