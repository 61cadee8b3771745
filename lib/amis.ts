import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './aws/ec2.js';
import { withRetries } from './aws/retry.js';

/** What the pipeline needs to know about an AMI. */
export interface AmiFacts {
  id: string;
  windows: boolean;
  name: string;
  creationDate: string | undefined;
  tags: Record<string, string>;
  /** The owning account and AWS's alias ("amazon" only for Amazon's own images): tags cannot change either. */
  ownerId: string | undefined;
  ownerAlias: string | undefined;
  rootDeviceName: string | undefined;
}

/**
 * Facts about the given AMIs; ids that do not exist, were deregistered or are no longer
 * shared with this account are left out. One call per id: DescribeImages fails the whole
 * request (InvalidAMIID.*) when any one id is unknown, so a batch would hide the good ones.
 */
export async function describeAmis(imageIds: string[]): Promise<Map<string, AmiFacts>> {
  const found = new Map<string, AmiFacts>();
  for (const id of new Set(imageIds)) {
    try {
      const out = await withRetries(() => ec2.send(new DescribeImagesCommand({ ImageIds: [id] })));
      for (const image of out.Images ?? []) {
        if (!image.ImageId) continue;
        found.set(image.ImageId, {
          id: image.ImageId,
          windows: String(image.Platform ?? '').toLowerCase() === 'windows',
          name: image.Name ?? '',
          creationDate: image.CreationDate,
          tags: Object.fromEntries((image.Tags ?? []).flatMap((t) => (t.Key ? [[t.Key, t.Value ?? '']] : []))),
          ownerId: image.OwnerId,
          ownerAlias: image.ImageOwnerAlias,
          rootDeviceName: image.RootDeviceName,
        });
      }
    } catch (error) {
      if (!(error instanceof Error) || !error.name.startsWith('InvalidAMIID')) throw error;
    }
  }
  return found;
}
