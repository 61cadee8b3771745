import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { Nodegroup } from '@aws-sdk/client-eks';
import { describeNodegroup } from '../aws/eks.js';
import type { Variant } from '../config.js';
import { managedCluster } from '../config/kubernetes.js';
import type { ExecutionInput } from '../input.js';
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

/** What the plan reads of a node group's DescribeNodegroup (the rest of it stays out of the state). */
export type NodegroupFacts = Pick<Nodegroup, 'status' | 'amiType' | 'launchTemplate' | 'health' | 'updateConfig'> & {
  resources?: Pick<NonNullable<Nodegroup['resources']>, 'autoScalingGroups'>;
};

/** "prod/win-ng": the key of a node group's facts. */
export const managedKey = (m: ManagedRef): string => `${m.cluster}/${m.nodegroup}`;

/** DescribeNodegroup once per node group, keyed by managedKey; null: ResourceNotFoundException (no such cluster or node group). */
export async function describeNodegroups(refs: ManagedRef[]): Promise<Record<string, NodegroupFacts | null>> {
  const described = await mapLimit(refs, 4, async (r): Promise<NodegroupFacts | null> => {
    try {
      const { status, amiType, launchTemplate, health, updateConfig, resources } = await describeNodegroup(r.cluster, r.nodegroup);
      return { status, amiType, launchTemplate, health, updateConfig, resources: { autoScalingGroups: resources?.autoScalingGroups } };
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return null;
      throw error;
    }
  });
  return Object.fromEntries(refs.map((r, i) => [managedKey(r), described[i] ?? null]));
}

/** The managed node groups a variant's config names, with their place in nodeGroups (config order across both kinds). */
export function configuredNodegroups(variant: Variant): { ref: ManagedRef; canary: boolean; order: number }[] {
  return variant.nodeGroups.flatMap((s, order) => {
    const cluster = s.managedNodeGroup !== undefined ? managedCluster(variant, s) : undefined;
    return s.managedNodeGroup !== undefined && cluster !== undefined ? [{ ref: { cluster, nodegroup: s.managedNodeGroup }, canary: s.canary, order }] : [];
  });
}

/**
 * What DescribeNodegroup alone decides of a variant's managed node groups: the ones input.nodeGroups selects (by node
 * group name or its ASG's name), and of those the ones that passed nodegroupVerdict, with its problems and warnings.
 */
export function selectNodegroups(variant: Variant, input: Pick<ExecutionInput, 'nodeGroups'>, nodegroups: Record<string, NodegroupFacts | null>, region: string) {
  const configured = configuredNodegroups(variant);
  const problems: string[] = [];
  const warnings: string[] = [];
  const passed: { ref: ManagedRef; canary: boolean; order: number; template: NodegroupTemplate; updateConfig: Nodegroup['updateConfig'] }[] = [];
  const selected: string[] = [];
  for (const c of configured) {
    const ng = nodegroups[managedKey(c.ref)] ?? undefined;
    const asgName = ng?.resources?.autoScalingGroups?.[0]?.name;
    if (input.nodeGroups && !input.nodeGroups.includes(c.ref.nodegroup) && !(asgName && input.nodeGroups.includes(asgName))) continue;
    if (asgName) selected.push(asgName);
    const verdict = nodegroupVerdict(c.ref, ng, region);
    problems.push(...verdict.problems);
    warnings.push(...verdict.warnings);
    if (verdict.template) passed.push({ ...c, template: verdict.template, updateConfig: ng?.updateConfig });
  }
  return { configured: configured.length, passed, problems, warnings, selected };
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
export function nodegroupVerdict(ref: ManagedRef, ng: NodegroupFacts | undefined, region: string): { template?: NodegroupTemplate; problems: string[]; warnings: string[] } {
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
