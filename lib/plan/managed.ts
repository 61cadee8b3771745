import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { Nodegroup } from '@aws-sdk/client-eks';
import { describeNodegroup } from '../aws/eks.js';
import { mapLimit } from '../util.js';

/**
 * EKS managed node groups in the plan. EKS owns their ASG and the launch template version the
 * ASG runs (a copy EKS makes of ours): the run never refreshes that ASG, it asks EKS to move
 * the node group to a new version of the node group's own launch template
 * (UpdateNodegroupVersion, Amazon EKS API Reference), and EKS drains the old nodes itself.
 */

export interface ManagedRef {
  cluster: string;
  nodegroup: string;
}

/** "managed node group prod/win-ng": how messages name one. */
export const managedLabel = (m: ManagedRef): string => `managed node group ${m.cluster}/${m.nodegroup}`;

/** DescribeNodegroup once per node group; undefined: ResourceNotFoundException (no such cluster or node group). */
export async function describeNodegroups(refs: ManagedRef[]): Promise<(Nodegroup | undefined)[]> {
  return mapLimit(refs, 4, async (r) => {
    try {
      return await describeNodegroup(r.cluster, r.nodegroup);
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  });
}

/** The launch template a node group can be moved along: id and an explicit version number. */
export interface NodegroupTemplate {
  launchTemplateId: string;
  version: string;
  asgName: string;
}

/**
 * What DescribeNodegroup alone decides about one node group.
 * - Not found: the config names a node group (or cluster) this region does not have.
 * - AMI type other than CUSTOM, or no launch template: EKS supplies the AMI (amiType
 *   WINDOWS_CORE_2022_x86_64 …). UpdateNodegroupVersion moves a node group only along the
 *   launch template it was created with, and a template that did not set an AMI cannot start
 *   to (eksctl: "if a launch template is using a custom AMI, then the new version should also
 *   use a custom AMI or the upgrade operation will fail", and the reverse holds: the node
 *   group's amiType is fixed at creation). So the only way in is a new node group.
 * - Launch template version: EKS reports the number the node group runs; anything else (a
 *   name like $Latest) cannot be a rollback target.
 * - Status: CREATING/DELETING/…_FAILED cannot take an update; UPDATING takes none until its
 *   update ends (ResourceInUseException), DEGRADED may fail it: both warned.
 */
export function nodegroupVerdict(ref: ManagedRef, ng: Nodegroup | undefined, region: string): { template?: NodegroupTemplate; problems: string[]; warnings: string[] } {
  const label = managedLabel(ref);
  if (!ng)
    return {
      problems: [
        `${label} was not found in ${region} (DescribeNodegroup: ResourceNotFoundException): check managedNodeGroup and cluster in config (aws eks list-nodegroups --cluster-name ${ref.cluster})`,
      ],
      warnings: [],
    };
  const amiType = ng.amiType ?? 'unknown';
  const lt = ng.launchTemplate;
  if (amiType !== 'CUSTOM' || !lt?.id) {
    const why = lt?.id ? `AMI type ${amiType} (its launch template ${lt.name ?? lt.id} sets no ImageId)` : `AMI type ${amiType} without a launch template`;
    return {
      problems: [
        `${label} runs on ${why}: it runs AWS's AMI and cannot carry ours (EKS keeps a node group's AMI type and launch template for its life). Create a new managed node group from a launch template whose ImageId is an AMI (AMI type CUSTOM, with the Windows bootstrap in its user data; eksctl: managedNodeGroups[].launchTemplate, or the console), move the workloads to it, delete this one, then configure the new one here: { managedNodeGroup: <new name>, cluster: ${ref.cluster} }`,
      ],
      warnings: [],
    };
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!/^\d+$/.test(lt.version ?? ''))
    problems.push(`${label}: its launch template ${lt.name ?? lt.id} is at version "${lt.version ?? ''}", not a version number: update the node group to a numbered version first (aws eks update-nodegroup-version --cluster-name ${ref.cluster} --nodegroup-name ${ref.nodegroup} --launch-template id=${lt.id},version=<n>)`);
  const asgName = ng.resources?.autoScalingGroups?.[0]?.name;
  const status = ng.status ?? 'unknown';
  if (['CREATING', 'DELETING', 'CREATE_FAILED', 'DELETE_FAILED'].includes(status)) problems.push(`${label} is ${status}: EKS updates only an ACTIVE node group; take it out of nodeGroups or wait until it is ACTIVE`);
  else if (!asgName) problems.push(`${label} (status ${status}) has no Auto Scaling group: EKS reports none in resources.autoScalingGroups`);
  if (status === 'UPDATING') warnings.push(`${label} is UPDATING: its wave waits until that update ends (EKS takes one update at a time)`);
  if (status === 'DEGRADED') warnings.push(`${label} is DEGRADED (${(ng.health?.issues ?? []).map((i) => i.code).join(', ') || 'see aws eks describe-nodegroup'}): its update may fail; fix the health issues first`);
  if (problems.length || !asgName) return { problems, warnings };
  return { template: { launchTemplateId: lt.id, version: lt.version as string, asgName }, problems, warnings };
}

/**
 * The node group's launch template version itself: an ImageId from an SSM parameter is
 * resolved at each launch, so the version the run would roll back to names no AMI (and this
 * pipeline may write that parameter itself); EKS needs an AMI id in a CUSTOM node group's template.
 */
export function managedVersionProblems(ref: ManagedRef, template: NodegroupTemplate, version: LaunchTemplateVersion | undefined): string[] {
  const label = managedLabel(ref);
  if (!version) return [`${label}: launch template ${template.launchTemplateId} version ${template.version} was not found`];
  const image = version.LaunchTemplateData?.ImageId;
  if (!image) return [`${label}: launch template ${template.launchTemplateId} version ${template.version} has no ImageId`];
  if (image.startsWith('resolve:ssm:'))
    return [`${label}: launch template ${template.launchTemplateId} version ${template.version} takes its AMI from ${image}, so the version to roll back to names no AMI: put an AMI id in the launch template`];
  return [];
}

/**
 * An ASG that EKS made for a managed node group (tagged eks:nodegroup-name), configured by
 * asgName or matched by a tag: refreshing it behind EKS's back degrades the node group
 * (Ec2LaunchTemplateVersionMismatch). The message is the config line to use instead.
 * eks:cluster-name alone is also a self-managed group's cluster tag, so it decides nothing.
 */
export function managedAsgProblems(asg: AutoScalingGroup, tags: Record<string, string>): string[] {
  const nodegroup = tags['eks:nodegroup-name'];
  if (nodegroup === undefined) return [];
  const cluster = tags['eks:cluster-name'] ?? '<cluster>';
  return [
    `ASG ${asg.AutoScalingGroupName} belongs to the EKS managed node group ${nodegroup} of cluster ${cluster}: refreshing it directly would leave the node group degraded (Ec2LaunchTemplateVersionMismatch); EKS must update it. Replace its entry in nodeGroups with: { managedNodeGroup: ${nodegroup}, cluster: ${cluster} }`,
  ];
}
