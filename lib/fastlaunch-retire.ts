import { DescribeFastLaunchImagesCommand, DisableFastLaunchCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './aws/ec2.js';
import { withRetries } from './aws/retry.js';
import { logger } from './logger.js';
import type { GroupProgress } from './rollout/refresh.js';
import { chunk } from './util.js';

/**
 * The AMIs a variant's node groups left behind: those every group moved off. An AMI
 * that a skipped (or failed) group still runs is not retired.
 */
export function retiredImages(planned: { asgName: string; imageId: string }[], groups: Pick<GroupProgress, 'asgName' | 'state'>[], newAmi: string): string[] {
  const moved = new Set(groups.filter((g) => g.state === 'patched').map((g) => g.asgName));
  const stillUsed = new Set(planned.filter((g) => !moved.has(g.asgName)).map((g) => g.imageId));
  stillUsed.add(newAmi);
  return [...new Set(planned.filter((g) => moved.has(g.asgName)).map((g) => g.imageId))].filter((id) => !stillUsed.has(id));
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
      const ours = image.LaunchTemplate?.LaunchTemplateId === launchTemplateId;
      if (!ours || !image.ImageId || !(image.State === 'enabled' || image.State === 'enabling' || image.State === 'enabled-failed')) continue;
      const imageId = image.ImageId;
      await withRetries(() => ec2.send(new DisableFastLaunchCommand({ ImageId: imageId })));
      logger.info(`fast launch disabled on retired AMI ${imageId}`, { amiId: imageId });
      disabled.push(imageId);
    }
  }
  return disabled;
}
