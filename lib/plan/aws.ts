import { DescribeAutoScalingGroupsCommand, DescribeLifecycleHooksCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand, type LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import { autoScaling } from '../aws/auto-scaling.js';
import { ec2 } from '../aws/ec2.js';
import { withRetries } from '../aws/retry.js';
import type { NodeGroupSelector } from '../config.js';
import { chunk, mapLimit } from '../util.js';

/** The read-only AWS calls the plan makes. Nothing here writes. */

/** A selected ASG and the selector that named it first (its canary flag and cluster). */
export interface FoundGroup {
  asg: AutoScalingGroup;
  canary: boolean;
  selector: NodeGroupSelector;
}

/**
 * The ASGs a variant's selectors name, in config order: groups named by asgName keep the
 * operator's order; the groups a tag selector matches come at that selector's place,
 * sorted by name (AWS's order is not a promise). The first selector that names an ASG
 * decides its canary flag. A tag selector matching nothing is reported by its tag.
 */
export async function findAutoScalingGroups(
  selectors: NodeGroupSelector[],
): Promise<{ groups: FoundGroup[]; missing: string[]; emptyTags: { key: string; value: string }[] }> {
  const found = new Map<string, AutoScalingGroup>();
  const named = selectors.filter((s) => s.asgName).map((s) => s.asgName as string);
  for (const batch of chunk(named, 50)) for (const asg of await describeGroups({ AutoScalingGroupNames: batch })) found.set(asg.AutoScalingGroupName as string, asg);
  const byName = new Map<string, FoundGroup>();
  const emptyTags: { key: string; value: string }[] = [];
  for (const selector of selectors) {
    if (selector.asgName) {
      const asg = found.get(selector.asgName);
      if (asg && !byName.has(selector.asgName)) byName.set(selector.asgName, { asg, canary: selector.canary, selector });
      continue;
    }
    const tag = selector.tag as { key: string; value: string };
    const matched = await describeGroups({ Filters: [{ Name: `tag:${tag.key}`, Values: [tag.value] }] });
    if (!matched.length) emptyTags.push(tag);
    const sorted = [...matched].sort((a, b) => String(a.AutoScalingGroupName).localeCompare(String(b.AutoScalingGroupName)));
    for (const asg of sorted) if (!byName.has(asg.AutoScalingGroupName as string)) byName.set(asg.AutoScalingGroupName as string, { asg, canary: selector.canary, selector });
  }
  return { groups: [...byName.values()], missing: named.filter((n) => !found.has(n)), emptyTags };
}

/** Every ASG in the region (only read when an unpinned group's template might be shared). */
export function allAutoScalingGroups(): Promise<AutoScalingGroup[]> {
  return describeGroups({});
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

/** The names of each ASG's termination lifecycle hooks (none: nodes are not drained, unless the run adds ours). */
export async function terminationHooks(asgNames: string[]): Promise<string[][]> {
  return mapLimit(asgNames, 8, async (name) => {
    const out = await withRetries(() => autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: name })));
    return (out.LifecycleHooks ?? []).filter((h) => h.LifecycleTransition === 'autoscaling:EC2_INSTANCE_TERMINATING').map((h) => h.LifecycleHookName ?? '');
  });
}

/** The latest version number of each launch template (the next CreateLaunchTemplateVersion gets the one after it) and its tags. */
export async function latestVersions(launchTemplateIds: string[]): Promise<Map<string, number> & { tags: Map<string, Record<string, string>> }> {
  const latest = Object.assign(new Map<string, number>(), { tags: new Map<string, Record<string, string>>() });
  for (const batch of chunk([...new Set(launchTemplateIds)], 100)) {
    const out = await withRetries(() => ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: batch })));
    for (const lt of out.LaunchTemplates ?? []) {
      if (lt.LaunchTemplateId && lt.LatestVersionNumber) latest.set(lt.LaunchTemplateId, lt.LatestVersionNumber);
      if (lt.LaunchTemplateId) latest.tags.set(lt.LaunchTemplateId, Object.fromEntries((lt.Tags ?? []).flatMap((t) => (t.Key ? [[t.Key, t.Value ?? '']] : []))));
    }
  }
  return latest;
}
