import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { autoScaling } from '../aws/clients.js';
import { withRetries } from '../aws/retry.js';
import { chunk } from '../util.js';
import { launchTemplateInUse } from './launch-template-in-use.js';

/** The launch template version each ASG is on now (after a refresh succeeds, the ASG moves to the new version). */
export async function versionsInUse(asgNames: string[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const batch of chunk(asgNames, 50)) {
    const out = await withRetries(() => autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: batch })));
    for (const asg of out.AutoScalingGroups ?? []) {
      const ref = launchTemplateInUse(asg);
      if (asg.AutoScalingGroupName && ref) versions.set(asg.AutoScalingGroupName, ref.version);
    }
  }
  return versions;
}
