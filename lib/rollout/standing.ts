import { DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand, type MixedInstancesPolicy } from '@aws-sdk/client-auto-scaling';
import { autoScaling } from '../aws/auto-scaling.js';
import { withRetries } from '../aws/retry.js';
import { chunk, mapLimit } from '../util.js';
import { launchTemplateInUse, type LaunchTemplateRef } from './launch-template-in-use.js';

export interface LiveSpec extends LaunchTemplateRef {
  mixed: boolean;
  /** The group's whole policy as Auto Scaling holds it now: a refresh must send it back whole. */
  mixedPolicy?: MixedInstancesPolicy;
  /** Every instance, the launch template version it was launched from, and its lifecycle state (InService, Standby, Pending, ...). */
  instances: { instanceId: string; launchTemplateId?: string; version?: string; lifecycleState?: string }[];
  /** The group's tags (our lifecycle actions leave their verdicts there). */
  tags: Record<string, string>;
}

/** Each ASG's launch template spec as Auto Scaling holds it now (ASGs without a launch template are left out). */
export async function liveSpecs(asgNames: string[]): Promise<Map<string, LiveSpec>> {
  const specs = new Map<string, LiveSpec>();
  for (const batch of chunk(asgNames, 50)) {
    const out = await withRetries(() => autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: batch })));
    for (const asg of out.AutoScalingGroups ?? []) {
      const ref = launchTemplateInUse(asg);
      if (asg.AutoScalingGroupName && ref) specs.set(asg.AutoScalingGroupName, { ...ref, mixed: asg.MixedInstancesPolicy !== undefined, ...(asg.MixedInstancesPolicy && { mixedPolicy: asg.MixedInstancesPolicy }),
          instances: (asg.Instances ?? []).map((i) => ({ instanceId: i.InstanceId ?? '?', launchTemplateId: i.LaunchTemplate?.LaunchTemplateId, version: i.LaunchTemplate?.Version, lifecycleState: i.LifecycleState })),
          tags: Object.fromEntries((asg.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
        });
    }
  }
  return specs;
}

/** The launch template version each ASG is on now (after a refresh succeeds, the ASG moves to the new version). */
export async function versionsInUse(asgNames: string[]): Promise<Map<string, string>> {
  const specs = await liveSpecs(asgNames);
  return new Map([...specs].map(([name, spec]) => [name, spec.version]));
}

/**
 * Instances not on the given template version. A refresh ends Successful while instances with scale-in protection or
 * in Standby (under Ignore) keep the old AMI: a group is patched only when this list is empty.
 */
export function instancesNotOn(spec: LiveSpec | undefined, launchTemplateId: string, version: string): string[] {
  return (spec?.instances ?? []).filter((i) => !isOn(i, launchTemplateId, version)).map((i) => i.instanceId);
}

/** Whether an instance of the group serves on the version: launched from it and InService (not Pending, Standby or leaving). */
export function servesOn(spec: LiveSpec | undefined, launchTemplateId: string, version: string): boolean {
  return (spec?.instances ?? []).some((i) => isOn(i, launchTemplateId, version) && i.lifecycleState === 'InService');
}

const isOn = (i: LiveSpec['instances'][number], launchTemplateId: string, version: string) => i.launchTemplateId === launchTemplateId && i.version === version;

export interface LatestRefresh {
  id: string | null;
  status: string;
  /** The launch template version the refresh moves the group to, as "lt-…:<version>" (a refresh to ours is ours). */
  desired: string | undefined;
}

/** The group's newest instance refresh (DescribeInstanceRefreshes lists the newest first), or undefined when it has none. */
export async function latestRefresh(asgName: string): Promise<LatestRefresh | undefined> {
  const out = await withRetries(() => autoScaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: asgName, MaxRecords: 1 })), {
    operation: 'DescribeInstanceRefreshes',
  });
  const r = out.InstanceRefreshes?.[0];
  if (!r?.Status) return undefined;
  const lt = r.DesiredConfiguration?.LaunchTemplate ?? r.DesiredConfiguration?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  return { id: r.InstanceRefreshId ?? null, status: r.Status, desired: lt ? `${lt.LaunchTemplateId}:${lt.Version}` : undefined };
}

export interface ActiveRefresh {
  status: string;
  percent: number;
}

/** Statuses in which a refresh still runs (a second StartInstanceRefresh would fail with InstanceRefreshInProgress). */
export const ACTIVE_REFRESH = new Set(['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking']);

/**
 * Refreshes still running on the given ASGs. An ASG keeps its old launch template version
 * until its refresh succeeds, so "not moved" alone cannot tell a running refresh from none.
 */
export async function activeRefreshes(asgNames: string[]): Promise<Map<string, ActiveRefresh>> {
  const found = await mapLimit(asgNames, 8, async (name) => {
    const out = await withRetries(() => autoScaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name, MaxRecords: 1 })));
    const latest = out.InstanceRefreshes?.[0];
    return latest?.Status && ACTIVE_REFRESH.has(latest.Status) ? ([name, { status: latest.Status, percent: latest.PercentageComplete ?? 0 }] as const) : undefined;
  });
  return new Map(found.filter((f) => f !== undefined));
}
