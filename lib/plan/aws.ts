import { DescribeAutoScalingGroupsCommand, DescribeLifecycleHooksCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand, type LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import { autoScaling } from '../aws/auto-scaling.js';
import { ec2 } from '../aws/ec2.js';
import { withRetries } from '../aws/retry.js';
import type { NodeGroupSelector } from '../config.js';
import { chunk, mapLimit } from '../util.js';

/** The read-only AWS calls the plan makes. Nothing here writes. */

/** The ASGs a variant's selectors name, in config order; the first selector that names an ASG decides its canary flag. */
export async function findAutoScalingGroups(selectors: NodeGroupSelector[]): Promise<{ groups: { asg: AutoScalingGroup; canary: boolean }[]; missing: string[] }> {
  const byName = new Map<string, { asg: AutoScalingGroup; canary: boolean }>();
  const named = selectors.filter((s) => s.asgName).map((s) => s.asgName as string);
  for (const batch of chunk(named, 50)) {
    for (const asg of await describeGroups({ AutoScalingGroupNames: batch })) {
      const selector = selectors.find((s) => s.asgName === asg.AutoScalingGroupName);
      byName.set(asg.AutoScalingGroupName as string, { asg, canary: selector?.canary ?? false });
    }
  }
  for (const selector of selectors.filter((s) => s.tag)) {
    const tag = selector.tag as { key: string; value: string };
    for (const asg of await describeGroups({ Filters: [{ Name: `tag:${tag.key}`, Values: [tag.value] }] }))
      if (!byName.has(asg.AutoScalingGroupName as string)) byName.set(asg.AutoScalingGroupName as string, { asg, canary: selector.canary });
  }
  return { groups: [...byName.values()], missing: named.filter((n) => !byName.has(n)) };
}

async function describeGroups(query: { AutoScalingGroupNames?: string[]; Filters?: { Name: string; Values: string[] }[] }): Promise<AutoScalingGroup[]> {
  const groups: AutoScalingGroup[] = [];
  let NextToken: string | undefined;
  do {
    const out = await withRetries(() => autoScaling.send(new DescribeAutoScalingGroupsCommand({ ...query, NextToken })));
    groups.push(...(out.AutoScalingGroups ?? []));
    NextToken = out.NextToken;
  } while (NextToken);
  return groups;
}

/** The launch template version each ASG uses, resolved ($Latest/$Default become a number). */
export async function describeVersions(refs: { launchTemplateId?: string; launchTemplateName?: string; version: string }[]): Promise<(LaunchTemplateVersion | undefined)[]> {
  return mapLimit(refs, 8, async (ref) => {
    const out = await withRetries(() =>
      ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: ref.launchTemplateId,
          LaunchTemplateName: ref.launchTemplateId ? undefined : ref.launchTemplateName,
          Versions: [ref.version],
        }),
      ),
    );
    return out.LaunchTemplateVersions?.[0];
  });
}

/** Whether each ASG has a termination lifecycle hook (without one, nodes are not drained). */
export async function terminationHooks(asgNames: string[]): Promise<boolean[]> {
  return mapLimit(asgNames, 8, async (name) => {
    const out = await withRetries(() => autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: name })));
    return (out.LifecycleHooks ?? []).some((h) => h.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING');
  });
}

/** The latest version number of each launch template: the next CreateLaunchTemplateVersion gets the one after it. */
export async function latestVersions(launchTemplateIds: string[]): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  for (const batch of chunk([...new Set(launchTemplateIds)], 100)) {
    const out = await withRetries(() => ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: batch })));
    for (const lt of out.LaunchTemplates ?? []) if (lt.LaunchTemplateId && lt.LatestVersionNumber) latest.set(lt.LaunchTemplateId, lt.LatestVersionNumber);
  }
  return latest;
}
