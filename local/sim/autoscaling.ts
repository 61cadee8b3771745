import { awsError, arr, obj, type AsgRec, type Ctx, type Handlers, type Input, type InstanceRec, type LtTarget, type MixedPolicyRec, type RefreshRec } from './context.js';
import { findLt, findVersion } from './ec2.js';
import { desiredMixedPolicy, renderMixedPolicy } from './mixed.js';
import { ACTIVE, evaluateRefresh, latestRefresh, type RefreshView } from './refresh.js';
import { ssmValue } from './ssm.js';
import { renderSuspension } from './suspended.js';

// Amazon EC2 Auto Scaling API Reference, DescribeAutoScalingGroups / DescribeInstanceRefreshes: MaxRecords
// "default value is 50 and the maximum value is 100".
const PAGE = 50;

/** Resolves a launch template spec to the AMI it launches; ImageId may be `resolve:ssm:<parameter>`. */
export function ltTarget(ctx: Ctx, spec: { id?: unknown; name?: unknown; version?: unknown }): LtTarget {
  const lt = findLt(ctx, spec);
  const version = typeof spec.version === 'string' ? spec.version : '$Default';
  const v = findVersion(lt, version);
  const raw = typeof v.data.ImageId === 'string' ? v.data.ImageId : '';
  const imageId = raw.startsWith('resolve:ssm:') ? (ssmValue(ctx, raw.slice(12)) ?? raw) : raw;
  return { ltId: lt.id, ltName: lt.name, version, versionNumber: v.versionNumber, imageId };
}

/** Whether the version behind a target names its AMI by `resolve:ssm:` (ltTarget hides that by resolving it). */
export function takesSsmImage(ctx: Ctx, t: LtTarget): boolean {
  const lt = ctx.state.launchTemplates[t.ltId];
  const raw = lt?.versions.find((v) => v.versionNumber === t.versionNumber)?.data.ImageId;
  return typeof raw === 'string' && raw.startsWith('resolve:ssm:');
}

export interface AsgView {
  asg: AsgRec;
  target: LtTarget;
  instances: InstanceRec[];
  refresh?: RefreshView;
  /** The policy the group holds at this moment (undefined: not mixed). */
  mixedPolicy?: MixedPolicyRec;
}

export function asgView(ctx: Ctx, asg: AsgRec, now = ctx.now()): AsgView {
  // A group shows its refresh's progress: Amazon EC2 Auto Scaling User Guide, "How an instance refresh works in an
  // Auto Scaling group" (old instances are replaced batch by batch; the group's configuration changes only at the end).
  const r = latestRefresh(ctx, asg.name);
  if (r) {
    const v = evaluateRefresh(r, now);
    // The group takes the DesiredConfiguration only when the refresh succeeds (StartInstanceRefresh API reference).
    const mixed = v.status === 'Successful' && r.desiredConfiguration ? desiredMixedPolicy(ctx, r.desiredConfiguration) : asg.mixedPolicy;
    return { asg, target: v.target, instances: v.instances, refresh: v, ...(mixed ? { mixedPolicy: mixed } : {}) };
  }
  const lt = ctx.state.launchTemplates[asg.ltId];
  const target = ltTarget(ctx, { id: asg.ltId, version: asg.version });
  return { asg, target: { ...target, ltName: lt?.name ?? target.ltName }, instances: structuredClone(asg.instances), ...(asg.mixedPolicy ? { mixedPolicy: asg.mixedPolicy } : {}) };
}

function renderAsg(ctx: Ctx, v: AsgView): Record<string, unknown> {
  const spec = { LaunchTemplateId: v.target.ltId, LaunchTemplateName: v.target.ltName, Version: v.target.version };
  const a = v.asg;
  return {
    AutoScalingGroupName: a.name,
    AutoScalingGroupARN: a.arn,
    ...(v.mixedPolicy ? { MixedInstancesPolicy: renderMixedPolicy(v.mixedPolicy, spec) } : { LaunchTemplate: spec }),
    MinSize: a.minSize,
    MaxSize: a.maxSize,
    DesiredCapacity: a.desired,
    // Fixed values, API Reference "AutoScalingGroup" data type: DefaultCooldown default 300 s; HealthCheckType EC2 (the
    // default); HealthCheckGracePeriod 300 (the console default). Not derived from the scenario: knowingly simplified.
    DefaultCooldown: 300,
    AvailabilityZones: [`${ctx.region}a`, `${ctx.region}b`],
    HealthCheckType: 'EC2',
    HealthCheckGracePeriod: 300,
    CreatedTime: new Date(a.createdTime),
    Instances: v.instances.map((i, n) => ({
      InstanceId: i.instanceId,
      // Knowingly simplified: every instance is m5.large, alternating between two AZs (API Reference, "Instance" data type).
      InstanceType: 'm5.large',
      AvailabilityZone: `${ctx.region}${n % 2 === 0 ? 'a' : 'b'}`,
      // API Reference, "Instance" data type: LifecycleState Standby / InService; ProtectedFromScaleIn per instance
      // (User Guide, "Use instance scale-in protection"; "Temporarily remove instances from your Auto Scaling group").
      LifecycleState: i.standby === true ? 'Standby' : 'InService',
      HealthStatus: 'Healthy',
      LaunchTemplate: { LaunchTemplateId: i.ltId, LaunchTemplateName: ctx.state.launchTemplates[i.ltId]?.name, Version: i.version },
      ProtectedFromScaleIn: i.protected === true,
    })),
    Tags: Object.entries(a.tags).map(([Key, Value]) => ({ ResourceId: a.name, ResourceType: 'auto-scaling-group', Key, Value, PropagateAtLaunch: true })),
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: false,
    ...renderSuspension(a),
  };
}

// API Reference, DescribeAutoScalingGroups / "Filter" data type: tag:<key>, tag-key, tag-value; several values of one
// filter are ORed, several filters ANDed. Other filter names (auto-scaling-group-name…) are not modelled: the stricter
// reading refuses them with ValidationError rather than ignoring them.
function matches(a: AsgRec, filters: unknown[]): boolean {
  return filters.every((f) => {
    const { Name, Values } = (obj(f) ?? {}) as { Name?: string; Values?: string[] };
    const values = Values ?? [];
    if (Name?.startsWith('tag:')) {
      const t = a.tags[Name.slice(4)];
      return t !== undefined && values.includes(t);
    }
    if (Name === 'tag-key') return Object.keys(a.tags).some((k) => values.includes(k));
    if (Name === 'tag-value') return Object.values(a.tags).some((k) => values.includes(k));
    throw awsError('ValidationError', `Filter name ${String(Name)} is not valid.`);
  });
}

// Pagination, API Reference (DescribeAutoScalingGroups, DescribeInstanceRefreshes): MaxRecords 1–max, NextToken from a
// previous answer; an unreadable token is InvalidNextToken ("Common Errors" of the Auto Scaling API Reference). Tokens
// here are opaque base64 offsets, as callers must treat them.
function page<T>(items: T[], input: Input, max = 100): { items: T[]; NextToken?: string } {
  const size = typeof input.MaxRecords === 'number' ? input.MaxRecords : PAGE;
  if (size < 1 || size > max) throw awsError('ValidationError', `MaxRecords must be between 1 and ${max}.`);
  let from = 0;
  if (typeof input.NextToken === 'string') {
    from = Number(Buffer.from(input.NextToken, 'base64').toString('utf8').replace(/^offset:/, ''));
    if (!Number.isInteger(from) || from < 0) throw awsError('InvalidNextToken', 'The token is not valid.');
  }
  const next = from + size < items.length ? { NextToken: Buffer.from(`offset:${from + size}`).toString('base64') } : {};
  return { items: items.slice(from, from + size), ...next };
}

function renderRefresh(r: RefreshRec, v: RefreshView): Record<string, unknown> {
  // API Reference, "InstanceRefresh" data type: Status, StatusReason, PercentageComplete, InstancesToUpdate,
  // ProgressDetails, Preferences, DesiredConfiguration, Strategy, RollbackDetails.
  const p = r.preferences;
  return {
    InstanceRefreshId: r.id,
    AutoScalingGroupName: r.asgName,
    Status: v.status,
    ...(v.statusReason !== undefined ? { StatusReason: v.statusReason } : {}),
    StartTime: new Date(r.start),
    ...(v.endTime !== undefined ? { EndTime: new Date(v.endTime) } : {}),
    PercentageComplete: v.percentageComplete,
    InstancesToUpdate: v.instancesToUpdate,
    ProgressDetails: { LivePoolProgress: { PercentageComplete: v.percentageComplete, InstancesToUpdate: v.instancesToUpdate } },
    // User Guide, "Understand the default values for an instance refresh": MinHealthyPercentage 90, SkipMatching false,
    // AutoRollback false; the API's ScaleInProtectedInstances/StandbyInstances default is Wait (as planRefresh models it).
    Preferences: {
      MinHealthyPercentage: 90,
      SkipMatching: false,
      AutoRollback: false,
      ScaleInProtectedInstances: 'Wait',
      StandbyInstances: 'Wait',
      ...structuredClone(p),
    },
    ...(r.desiredConfiguration ? { DesiredConfiguration: structuredClone(r.desiredConfiguration) } : {}),
    // Only the Rolling strategy (the default, User Guide "How an instance refresh works") is modelled; account.ts refuses others.
    Strategy: 'Rolling',
    ...(v.rollback
      ? {
          RollbackDetails: {
            RollbackReason: v.rollback.reason,
            RollbackStartTime: new Date(v.rollback.start),
            PercentageCompleteOnRollback: v.rollback.percentage,
            InstancesToUpdateOnRollback: v.rollback.toUpdate,
          },
        }
      : {}),
  };
}

export function requireAsg(ctx: Ctx, name: unknown): AsgRec {
  const a = typeof name === 'string' ? ctx.state.asgs[name] : undefined;
  // API Reference, "Common Errors": an unknown group is a ValidationError ("AutoScalingGroup name not found"), as the
  // Auto Scaling API answers for StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh.
  if (!a) throw awsError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${String(name)}' not found`);
  return a;
}

export function autoscalingHandlers(ctx: Ctx, startRefresh: (asg: AsgRec, input: Input) => string): Handlers {
  return {
    DescribeAutoScalingGroups(input: Input) {
      const names = arr(input.AutoScalingGroupNames) as string[];
      const all = Object.values(ctx.state.asgs).sort((a, b) => a.name.localeCompare(b.name));
      const picked = all.filter((a) => (names.length === 0 || names.includes(a.name)) && matches(a, arr(input.Filters)));
      const { items, NextToken } = page(picked, input);
      const now = ctx.now();
      return { AutoScalingGroups: items.map((a) => renderAsg(ctx, asgView(ctx, a, now))), ...(NextToken ? { NextToken } : {}) };
    },
    // API Reference, DescribeLifecycleHooks / "LifecycleHook" data type: an eksctl-style drain hook with HeartbeatTimeout
    // 300 (AWS's default is 3600); GlobalTimeout = 100 × HeartbeatTimeout (User Guide, "Amazon EC2 Auto Scaling lifecycle hooks").
    // Knowingly simplified: a refresh does not wait for the hook's heartbeat (replacement timing is durations.instanceLaunch).
    DescribeLifecycleHooks(input: Input) {
      const a = requireAsg(ctx, input.AutoScalingGroupName);
      const wanted = arr(input.LifecycleHookNames) as string[];
      const hooks = a.terminationHook
        ? [
            {
              LifecycleHookName: `${a.name}-node-drain`,
              AutoScalingGroupName: a.name,
              LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
              HeartbeatTimeout: 300,
              GlobalTimeout: 30000,
              DefaultResult: 'CONTINUE',
            },
          ]
        : [];
      return { LifecycleHooks: hooks.filter((h) => wanted.length === 0 || wanted.includes(h.LifecycleHookName)) };
    },
    StartInstanceRefresh(input: Input) {
      return { InstanceRefreshId: startRefresh(requireAsg(ctx, input.AutoScalingGroupName), input) };
    },
    DescribeInstanceRefreshes(input: Input) {
      const a = requireAsg(ctx, input.AutoScalingGroupName);
      // API Reference, DescribeInstanceRefreshes: newest first; InstanceRefreshIds narrows the list; paginated by MaxRecords.
      // Not documented how long AWS keeps old records; the simulation keeps all of them.
      const ids = arr(input.InstanceRefreshIds) as string[];
      const now = ctx.now();
      const list = ctx.state.refreshes.filter((r) => r.asgName === a.name && (ids.length === 0 || ids.includes(r.id))).reverse();
      const { items, NextToken } = page(list, input);
      return { InstanceRefreshes: items.map((r) => renderRefresh(r, evaluateRefresh(r, now))), ...(NextToken ? { NextToken } : {}) };
    },
    CancelInstanceRefresh(input: Input) {
      const a = requireAsg(ctx, input.AutoScalingGroupName);
      const r = latestRefresh(ctx, a.name);
      const now = ctx.now();
      const status = r ? evaluateRefresh(r, now).status : undefined;
      // API Reference, CancelInstanceRefresh: "If an instance refresh or rollback is not in progress, an
      // ActiveInstanceRefreshNotFound error occurs" (SDK name ActiveInstanceRefreshNotFoundFault). AWS also cancels a
      // rollback in progress; the simulation refuses that (stricter). WaitForTransitioningInstances is not modelled: the batch
      // under way always finishes first (refresh.ts cancelEffective).
      if (!r || !status || !['Pending', 'InProgress', 'Baking'].includes(status))
        throw awsError('ActiveInstanceRefreshNotFoundFault', `No in progress or pending Instance Refresh found for Auto Scaling group ${a.name}`);
      r.cancelRequestedAt = now;
      return { InstanceRefreshId: r.id };
    },
  };
}

export { ACTIVE };
