import type { AsgRec, Ctx, Handlers, Input } from './context.js';
import { requireAsg } from './autoscaling.js';

/**
 * Suspended processes and warm pools, as instance refresh meets them.
 *
 * "How suspended processes affect other processes"
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/understand-how-suspending-processes-affects-other-processes.html):
 * with Launch suspended "InstanceRefresh does not replace instances"; with Terminate suspended
 * old instances are never terminated; with InstanceRefresh suspended a refresh does not
 * progress. AWS accepts StartInstanceRefresh in all three cases; the refresh then stays
 * InProgress without replacing anything. The simulation takes that reading: it never moves.
 */
// HealthCheck and ReplaceUnhealthy suspended do not stop a refresh in the simulation (same page: they stop health
// checks and unhealthy replacement). Knowingly simplified: a refresh's own health checks are not modelled at all.
export const REFRESH_STOPPERS = ['Launch', 'Terminate', 'InstanceRefresh'] as const;

/** The suspended processes that keep a refresh of this group from replacing any instance. */
export function refreshStoppers(asg: AsgRec): string[] {
  return (asg.suspendedProcesses ?? []).filter((p) => (REFRESH_STOPPERS as readonly string[]).includes(p));
}

/** DescribeAutoScalingGroups' SuspendedProcesses and WarmPoolConfiguration (API_AutoScalingGroup). */
export function renderSuspension(asg: AsgRec): Record<string, unknown> {
  return {
    SuspendedProcesses: (asg.suspendedProcesses ?? []).map((ProcessName) => ({ ProcessName, SuspensionReason: 'User suspended at 2026-01-01T00:00:00Z' })),
    ...(asg.warmPool ? { WarmPoolConfiguration: warmPoolConfiguration(), WarmPoolSize: 0 } : {}),
  };
}

// Auto Scaling API Reference, "WarmPoolConfiguration": MaxGroupPreparedCapacity -1 (the default: MaxSize), MinSize 0,
// PoolState Stopped, ReuseOnScaleIn false. Knowingly simplified: the pool holds no instances, and a refresh does not
// replace warm pool instances (API Reference, "InstanceRefreshWarmPoolProgress": AWS does).
function warmPoolConfiguration(): Record<string, unknown> {
  return { MaxGroupPreparedCapacity: -1, MinSize: 0, PoolState: 'Stopped', InstanceReusePolicy: { ReuseOnScaleIn: false } };
}

/** DescribeWarmPool (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeWarmPool.html): no pool = no WarmPoolConfiguration. */
export function warmPoolHandlers(ctx: Ctx): Handlers {
  return {
    DescribeWarmPool(input: Input) {
      const asg = requireAsg(ctx, input.AutoScalingGroupName);
      return asg.warmPool ? { WarmPoolConfiguration: warmPoolConfiguration(), Instances: [] } : { Instances: [] };
    },
  };
}
