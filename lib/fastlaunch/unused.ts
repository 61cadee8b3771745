import { DescribeAutoScalingGroupsCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeFastLaunchImagesCommand, DisableFastLaunchCommand } from '@aws-sdk/client-ec2';
import { autoScaling } from '../aws/auto-scaling.js';
import { ec2 } from '../aws/ec2.js';
import { withRetries } from '../aws/retry.js';
import { isOursAndOn } from './retire.js';
import { logger } from '../logger.js';
import { describeVersions } from '../plan/aws.js';
import type { VariantPlan } from '../plan/types.js';
import { launchTemplateInUse, type LaunchTemplateRef } from '../rollout/launch-template-in-use.js';
import { activeRefreshes } from '../rollout/standing.js';
import { chunk } from '../util.js';

/** What a failed variant's report did about Fast Launch on the variant's new AMI. */
export type UnusedImageFastLaunch =
  | { amiId: string; outcome: 'turnedOff' }
  | { amiId: string; outcome: 'keptOn'; reason: string }
  | { amiId: string; outcome: 'failed'; reason: string };

/** What the account says about one of the variant's node groups and the new AMI. */
export interface GroupOnImage {
  asgName: string;
  /** AMI of the launch template version the group launches from now. */
  launches: string | undefined;
  /** AMI of the launch template version each instance was launched from. */
  instances: (string | undefined)[];
  /** An instance refresh still runs (it may be moving the group as we look). */
  refreshing: boolean;
}

/**
 * The groups that moved, or are moving, to the new AMI: launching from it, running an
 * instance of it (a refresh that failed without rollback leaves some), or with a refresh
 * still running. Any one of them needs the AMI's pre-provisioned snapshots. Pure.
 */
export function groupsUsing(groups: GroupOnImage[], amiId: string): string[] {
  return groups.filter((g) => g.launches === amiId || g.instances.includes(amiId) || g.refreshing).map((g) => g.asgName);
}

type FailedVariant = { variant: Pick<VariantPlan, 'stages' | 'waves'>; image?: { amiId: string | null } };

/**
 * A variant that failed before any node group moved to its new AMI leaves that AMI's Fast
 * Launch snapshots unused: they cost money and hold the AMI's parallel launches against the
 * regional quota, which next month's enable needs. Turn it off, but only where it is sure:
 * - an AMI this run built: nobody outside this run knows its id. An AMI from the execution
 *   input may run in groups this run does not see, so it is left alone;
 * - Fast Launch with the stack's dedicated launch template (ours, see isOursAndOn);
 * - judged from the account, not from the state data: what each group launches and runs
 *   now, and whether a refresh still runs on it.
 * Never throws: a failure report must go out even when this cannot read AWS; the outcome says
 * what happened, and the report tells the operator.
 */
export async function turnOffFastLaunchIfUnused(state: FailedVariant, launchTemplateId: string): Promise<UnusedImageFastLaunch | null> {
  const amiId = state.image?.amiId;
  if (!amiId || !state.variant.stages.fastLaunch) return null;
  try {
    const out = await withRetries(() => ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [amiId] })));
    const image = out.FastLaunchImages?.find((i) => i.ImageId === amiId);
    const built = state.variant.stages.build;
    // Already disabling: this report ran before (a Lambda retry) and turned it off.
    if (built && image?.State === 'disabling' && image.LaunchTemplate?.LaunchTemplateId === launchTemplateId) return { amiId, outcome: 'turnedOff' };
    if (!image || !isOursAndOn(image, launchTemplateId)) return null;
    if (!built)
      return { amiId, outcome: 'keptOn', reason: `it came from the execution input, so node groups outside this run may launch from it (if none does: aws ec2 disable-fast-launch --image-id ${amiId})` };
    const users = groupsUsing(await groupsOnImage(state.variant.waves.flat().map((g) => g.asgName), amiId), amiId);
    if (users.length) return { amiId, outcome: 'keptOn', reason: `${namesOf(users)} moved or ${users.length === 1 ? 'is' : 'are'} moving to it` };
    await withRetries(() => ec2.send(new DisableFastLaunchCommand({ ImageId: amiId })));
    logger.info(`fast launch disabled on ${amiId}: the variant failed before any node group moved to it`, { amiId });
    return { amiId, outcome: 'turnedOff' };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger.warn('fast launch of the unused AMI could not be turned off', { amiId, reason });
    return { amiId, outcome: 'failed', reason };
  }
}

const namesOf = (names: string[]) => (names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`);

/** Each group's launch template version and its instances' versions, resolved to AMIs. */
async function groupsOnImage(asgNames: string[], amiId: string): Promise<GroupOnImage[]> {
  const asgs: AutoScalingGroup[] = [];
  for (const batch of chunk(asgNames, 50)) {
    const out = await withRetries(() => autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: batch })));
    asgs.push(...(out.AutoScalingGroups ?? []));
  }
  const refs = new Map<string, LaunchTemplateRef>();
  const keyOf = (ref: LaunchTemplateRef | undefined) => {
    if (!ref) return undefined;
    const key = `${ref.launchTemplateId ?? `name:${ref.launchTemplateName}`}@${ref.version}`;
    refs.set(key, ref);
    return key;
  };
  const keyed = asgs.map((asg) => ({
    asgName: asg.AutoScalingGroupName as string,
    launches: keyOf(launchTemplateInUse(asg)),
    instances: (asg.Instances ?? []).map((i) => keyOf(i.LaunchTemplate && launchTemplateInUse({ LaunchTemplate: i.LaunchTemplate } as AutoScalingGroup))),
  }));
  const versions = await describeVersions([...refs.values()]);
  const amiOf = new Map([...refs.keys()].map((key, n) => [key, versions[n]?.LaunchTemplateData?.ImageId]));
  const resolve = (key: string | undefined) => (key === undefined ? undefined : amiOf.get(key));
  const groups = keyed.map((g) => ({ asgName: g.asgName, launches: resolve(g.launches), instances: g.instances.map(resolve), refreshing: false }));
  // One DescribeInstanceRefreshes per group: only worth it when no group is known to use the AMI yet.
  if (groupsUsing(groups, amiId).length) return groups;
  const refreshing = await activeRefreshes(groups.map((g) => g.asgName));
  return groups.map((g) => ({ ...g, refreshing: refreshing.has(g.asgName) }));
}

/** The lines the failure report adds about it: what was done, and what a rerun should know. */
export function unusedImageLines(f: UnusedImageFastLaunch | null): string[] {
  if (!f) return [];
  if (f.outcome === 'turnedOff')
    return [
      `Fast Launch: turned off on ${f.amiId}, as no node group moved to it (its snapshots cost money and hold parallel launches of the regional quota).`,
      `  To continue with Fast Launch, start the run with stages ["fastLaunch", "rollout"] and amiId ${f.amiId}; with stages ["rollout"] alone, new nodes boot without pre-provisioned snapshots (slower first boot).`,
    ];
  if (f.outcome === 'keptOn') return [`Fast Launch stays on for ${f.amiId}: ${f.reason}.`];
  return [
    `Fast Launch may still be on for ${f.amiId}: turning it off failed (${f.reason}).`,
    `  If no node group uses this AMI, turn it off: aws ec2 disable-fast-launch --image-id ${f.amiId}`,
  ];
}
