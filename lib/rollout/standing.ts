import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { autoScaling } from '../aws/auto-scaling.js';
import { withRetries } from '../aws/retry.js';
import { chunk } from '../util.js';
import { launchTemplateInUse, type LaunchTemplateRef } from './launch-template-in-use.js';

export interface LiveSpec extends LaunchTemplateRef {
  mixed: boolean;
}

/** Each ASG's launch template spec as Auto Scaling holds it now (ASGs without a launch template are left out). */
export async function liveSpecs(asgNames: string[]): Promise<Map<string, LiveSpec>> {
  const specs = new Map<string, LiveSpec>();
  for (const batch of chunk(asgNames, 50)) {
    const out = await withRetries(() => autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: batch })));
    for (const asg of out.AutoScalingGroups ?? []) {
      const ref = launchTemplateInUse(asg);
      if (asg.AutoScalingGroupName && ref) specs.set(asg.AutoScalingGroupName, { ...ref, mixed: asg.MixedInstancesPolicy !== undefined });
    }
  }
  return specs;
}

/** The launch template version each ASG is on now (after a refresh succeeds, the ASG moves to the new version). */
export async function versionsInUse(asgNames: string[]): Promise<Map<string, string>> {
  const specs = await liveSpecs(asgNames);
  return new Map([...specs].map(([name, spec]) => [name, spec.version]));
}
