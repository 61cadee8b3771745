import { DescribeFastLaunchImagesCommand, DisableFastLaunchCommand, type DescribeFastLaunchImagesSuccessItem } from '@aws-sdk/client-ec2';
import { ec2 } from '../aws/ec2.js';
import { withRetries } from '../aws/retry.js';
import { logger } from '../logger.js';
import type { VariantPlan } from '../plan/types.js';
import type { GroupProgress } from '../rollout/refresh.js';
import { chunk } from '../util.js';

/**
 * The AMIs a variant's node groups left behind: those every group moved off. An AMI
 * that a skipped (or failed) group still runs is not retired.
 */
export function retiredImages(planned: { asgName: string; imageId: string }[], groups: Pick<GroupProgress, 'asgName' | 'state'>[], newAmi: string): string[] {
  const moved = new Set(groups.filter((g) => g.state === 'patched').map((g) => g.asgName));
  const stillUsed = new Set(planned.filter((g) => !moved.has(g.asgName)).map((g) => g.imageId));
  stillUsed.add(newAmi);
  // A `resolve:ssm:` ImageId names no AMI: DescribeFastLaunchImages would reject the whole batch as malformed.
  return [...new Set(planned.filter((g) => moved.has(g.asgName)).map((g) => g.imageId))].filter((id) => id.startsWith('ami-') && !stillUsed.has(id));
}

/**
 * After a variant's rollout: Fast Launch off on the AMIs its node groups left. A run
 * limited by input.nodeGroups saw only some groups; the others may still launch from
 * the old AMI, and would boot the slow way without its snapshots: retire nothing then.
 */
export async function retireOldImages(variant: Pick<VariantPlan, 'waves' | 'nodeGroupsLimited'>, groups: Pick<GroupProgress, 'asgName' | 'state'>[], newAmi: string, launchTemplateId: string): Promise<string[]> {
  if (variant.nodeGroupsLimited) {
    logger.info('no AMI retired: the run was limited to some node groups (input.nodeGroups), and the others may still run the old AMI');
    return [];
  }
  return retireFastLaunch(retiredImages(variant.waves.flat(), groups, newAmi), launchTemplateId);
}

/**
 * Pre-provisioned Fast Launch snapshots cost money until used, and each AMI keeps its
 * parallel launches against the regional quota of 40: disable Fast Launch on retired
 * AMIs — only where we enabled it (with the stack's dedicated launch template).
 */
export async function retireFastLaunch(imageIds: string[], launchTemplateId: string): Promise<string[]> {
  const disabled: string[] = [];
  for (const batch of chunk(imageIds, 20)) {
    if (!batch.length) continue;
    const out = await withRetries(() => ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: batch })));
    for (const image of out.FastLaunchImages ?? []) {
      if (!image.ImageId || !isOursAndOn(image, launchTemplateId)) continue;
      const imageId = image.ImageId;
      await withRetries(() => ec2.send(new DisableFastLaunchCommand({ ImageId: imageId })));
      logger.info(`fast launch disabled on retired AMI ${imageId}`, { amiId: imageId });
      disabled.push(imageId);
    }
  }
  return disabled;
}

/**
 * Fast Launch that we turned on (the stack's dedicated launch template) and that still holds
 * snapshots or quota. Someone else's Fast Launch on the same AMI is theirs to turn off.
 */
export function isOursAndOn(image: Pick<DescribeFastLaunchImagesSuccessItem, 'State' | 'LaunchTemplate'>, launchTemplateId: string): boolean {
  return image.LaunchTemplate?.LaunchTemplateId === launchTemplateId && (image.State === 'enabled' || image.State === 'enabling' || image.State === 'enabled-failed');
}
