import { GetInstanceProfileCommand } from '@aws-sdk/client-iam';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import { iam } from '../aws/iam.js';
import { withRetries } from '../aws/retry.js';
import type { PipelineConfig } from '../config.js';
import { mapLimit } from '../util.js';

/**
 * What the stack's roles let it write (scripts/pipeline-config.cjs builds them from config.iam), checked per group
 * before any write: a group the roles do not cover would fail mid-run, after the image build, with AccessDenied.
 */

/**
 * Launch template writes (CreateLaunchTemplateVersion, ModifyLaunchTemplate) are granted on iam.launchTemplateIds,
 * else on templates carrying iam.launchTemplateTag (aws:ResourceTag; Service Authorization Reference, Amazon EC2).
 */
export function launchTemplateGrantProblems(label: string, launchTemplateId: string, tags: Record<string, string>, iam: PipelineConfig['iam']): string[] {
  if (iam.launchTemplateIds) {
    if (iam.launchTemplateIds.includes(launchTemplateId)) return [];
    return [`${label} runs launch template ${launchTemplateId}, which iam.launchTemplateIds does not list, so the stack may not write it: add ${launchTemplateId} to iam.launchTemplateIds and deploy`];
  }
  const { key, value } = iam.launchTemplateTag;
  if (tags[key] === value) return [];
  const has = tags[key] === undefined ? `has no tag ${key}` : `is tagged ${key}=${tags[key]}`;
  return [`${label} runs launch template ${launchTemplateId}, which ${has}, so the stack may not write it (iam.launchTemplateTag): tag the template ${key}=${value}, or list it in iam.launchTemplateIds and deploy`];
}

/** IAM's wildcard match of a role name pattern (* any run, ? one character), as the PassRole statement's Resource matches. */
export function matchesRolePattern(name: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\=,@-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

/**
 * iam:PassRole is granted on iam.nodeRoleArns, else on roles named like iam.nodeRoleNamePattern (Auto Scaling checks
 * it for the instance profile of the template a refresh launches from). Neither set: any role (README "Least privilege").
 */
export function passRoleProblems(label: string, instanceProfile: string, roleArn: string | undefined, iam: PipelineConfig['iam']): string[] {
  if (roleArn === undefined) return [`${label} launches with instance profile ${instanceProfile}, which has no role or does not exist: give the launch template a node instance profile`];
  const name = roleArn.split('/').at(-1) as string;
  if (iam.nodeRoleArns) {
    if (iam.nodeRoleArns.includes(roleArn)) return [];
    return [`${label} launches with instance profile ${instanceProfile}, whose role ${roleArn} iam.nodeRoleArns does not list, so the stack may not pass it: add it to iam.nodeRoleArns and deploy`];
  }
  if (iam.nodeRoleNamePattern === undefined || matchesRolePattern(name, iam.nodeRoleNamePattern)) return [];
  return [`${label} launches with instance profile ${instanceProfile}, whose role ${name} does not match iam.nodeRoleNamePattern "${iam.nodeRoleNamePattern}", so the stack may not pass it: widen the pattern or list the role in iam.nodeRoleArns and deploy`];
}

/**
 * The role of each instance profile (GetInstanceProfile, read-only; IAM API Reference: NoSuchEntity for an unknown
 * profile, which is then reported as having no role). A launch template names its profile by Name or by Arn (the
 * name is the ARN's last path segment).
 */
export async function instanceProfileRoles(profiles: string[]): Promise<Map<string, string | undefined>> {
  const names = [...new Set(profiles)];
  const roles = await mapLimit(names, 4, async (name) => {
    try {
      const out = await withRetries(() => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName(name) })));
      return out.InstanceProfile?.Roles?.[0]?.Arn;
    } catch (e) {
      if (e instanceof Error && e.name === 'NoSuchEntityException') return undefined;
      throw e;
    }
  });
  return new Map(names.map((n, i) => [n, roles[i]]));
}

export const profileName = (nameOrArn: string): string => nameOrArn.split('/').at(-1) as string;

/** The instance profile a launch template version launches with (by Name, else Arn), if any. */
export const instanceProfileOf = (version: LaunchTemplateVersion | undefined): string | undefined =>
  version?.LaunchTemplateData?.IamInstanceProfile?.Name ?? version?.LaunchTemplateData?.IamInstanceProfile?.Arn;

/** Whether the PassRole grant is narrowed at all (else any role may be passed, and the plan need not read IAM). */
export const passRoleScoped = (config: PipelineConfig): boolean => config.iam.nodeRoleArns !== undefined || config.iam.nodeRoleNamePattern !== undefined;
