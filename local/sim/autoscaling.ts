import { awsError, arr, obj, type AsgRec, type HookRec, type Ctx, type Handlers, type Input, type InstanceRec, type LtTarget, type MixedPolicyRec, type RefreshRec } from './context.js';
import { findLt, findVersion } from './ec2.js';
import { desiredMixedPolicy, renderMixedPolicy } from './mixed.js';
import { ACTIVE, boundary, cancelEffective, evaluateRefresh, latestRefresh, refreshesOf, type RefreshView } from './refresh.js';
import { activeActions, globalTimeout, LAUNCHING, liveHooks, ROLLBACK_REASON, simulateHooked, TERMINATING, type ActionView } from './lifecycle.js';
import { ssmValue } from './ssm.js';
import { nodegroupView } from './nodegroups.js';
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
  // A managed node group's ASG: EKS moves it (nodegroups.ts; "Understand each phase of node updates"), not a refresh.
  const ng = asg.nodegroup !== undefined ? ctx.state.nodegroups[asg.nodegroup] : undefined;
  if (ng) {
    const v = nodegroupView(ctx, ng, now);
    return { asg, target: v.asgTarget, instances: v.instances };
  }
  // A group shows its refresh's progress: Amazon EC2 Auto Scaling User Guide, "How an instance refresh works in an
  // Auto Scaling group" (old instances are replaced batch by batch; the group's configuration changes only at the end).
  const r = latestRefresh(ctx, asg.name);
  if (r) {
    const v = evaluateRefresh(r, now, ctx);
    // The group takes the DesiredConfiguration only when the refresh succeeds (StartInstanceRefresh API reference).
    const mixed = v.status === 'Successful' && r.desiredConfiguration ? desiredMixedPolicy(ctx, r.desiredConfiguration) : asg.mixedPolicy;
    return { asg, target: v.target, instances: v.instances, refresh: v, ...(mixed ? { mixedPolicy: mixed } : {}) };
  }
  const lt = ctx.state.launchTemplates[asg.ltId];
  const target = ltTarget(ctx, { id: asg.ltId, version: asg.version });
  return { asg, target: { ...target, ltName: lt?.name ?? target.ltName }, instances: structuredClone(asg.instances), ...(asg.mixedPolicy ? { mixedPolicy: asg.mixedPolicy } : {}) };
}

/** Every group's Availability Zones (knowingly simplified: two, fixed; the instances alternate between them). */
export const availabilityZones = (region: string): string[] => [`${region}a`, `${region}b`];

function renderAsg(ctx: Ctx, v: AsgView): Record<string, unknown> {
  const spec = { LaunchTemplateId: v.target.ltId, LaunchTemplateName: v.target.ltName, Version: v.target.version };
  const a = v.asg;
  return {
    AutoScalingGroupName: a.name,
    AutoScalingGroupARN: a.arn,
    ...(v.mixedPolicy ? { MixedInstancesPolicy: renderMixedPolicy(v.mixedPolicy, spec) } : { LaunchTemplate: spec }),
    MinSize: a.minSize,
    MaxSize: a.maxSize,
    // "Understand each phase of node updates" › Scale up / Scale down phases: EKS raises the desired size by the batch it
    // launches and lowers it as the old instances go (a managed node group's instances are counted as they are).
    DesiredCapacity: a.nodegroup !== undefined ? Math.max(a.desired, v.instances.length) : a.desired,
    // Fixed values, API Reference "AutoScalingGroup" data type: DefaultCooldown default 300 s; HealthCheckType EC2 (the
    // default); HealthCheckGracePeriod 300 (the console default). Not derived from the scenario: knowingly simplified.
    DefaultCooldown: 300,
    AvailabilityZones: availabilityZones(ctx.region),
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
      // Lifecycle hooks (User Guide, "How lifecycle hooks work"): Pending, Pending:Wait, Terminating:Wait while a hooked refresh moves it.
      LifecycleState: i.lifecycleState ?? (i.standby === true ? 'Standby' : 'InService'),
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

// API Reference, PutLifecycleHook / DeleteLifecycleHook / CompleteLifecycleAction: LifecycleHookName "Minimum length of
// 1. Maximum length of 255. Pattern: [A-Za-z0-9\-_\/]+".
function hookName(v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9\-_/]{1,255}$/.test(v)) throw awsError('ValidationError', `LifecycleHookName ${JSON.stringify(v)} must be 1 to 255 of A-Za-z0-9-_/.`);
  return v;
}

function renderHook(a: AsgRec, h: HookRec): { LifecycleHookName: string } & Record<string, unknown> {
  return {
    LifecycleHookName: h.name,
    AutoScalingGroupName: a.name,
    LifecycleTransition: h.transition,
    ...(h.notificationTargetArn !== undefined ? { NotificationTargetARN: h.notificationTargetArn } : {}),
    ...(h.roleArn !== undefined ? { RoleARN: h.roleArn } : {}),
    ...(h.notificationMetadata !== undefined ? { NotificationMetadata: h.notificationMetadata } : {}),
    HeartbeatTimeout: h.heartbeatTimeout,
    GlobalTimeout: globalTimeout(h.heartbeatTimeout),
    DefaultResult: h.defaultResult,
  };
}

/**
 * The action a CompleteLifecycleAction / RecordLifecycleActionHeartbeat names: by LifecycleActionToken or InstanceId
 * (API Reference: "specify either a token or an instance ID"). None active (never started, already completed, timed out)
 * → ValidationError "No active Lifecycle Action found with token …" (the message AWS answers).
 */
function findAction(ctx: Ctx, input: Input, op: string): { r: RefreshRec; action: ActionView } {
  const a = requireAsg(ctx, input.AutoScalingGroupName);
  const name = hookName(input.LifecycleHookName);
  const token = typeof input.LifecycleActionToken === 'string' ? input.LifecycleActionToken : undefined;
  const instanceId = typeof input.InstanceId === 'string' ? input.InstanceId : undefined;
  if ((token === undefined) === (instanceId === undefined)) throw awsError('ValidationError', `${op} needs either LifecycleActionToken or InstanceId.`);
  const now = ctx.now();
  for (const r of refreshesOf(ctx, a.name).filter((x) => x.hooked === true)) {
    const hit = activeActions(simulateHooked(ctx, r, a, now), now).find(
      (x) => x.hookName === name && (token !== undefined ? x.token === token : x.instanceId === instanceId),
    );
    if (hit) return { r, action: hit };
  }
  throw awsError('ValidationError', token !== undefined ? `No active Lifecycle Action found with token ${token}` : `No active Lifecycle Action found with instance ID ${instanceId}`);
}

/**
 * The groups in DescribeAutoScalingGroups' order: by name (localeCompare), ties in Object.values order (a stable sort of
 * it), with each name's place in that order. Computed once per set of groups rather than on every call (5,000 groups
 * paged 100 at a time sorted 5,000 names per page): groups are keyed by their name and only ever added, never removed
 * or renamed, so the same count of keys is the same set.
 */
const orders = new WeakMap<Record<string, AsgRec>, { count: number; sorted: string[]; rank: Map<string, number> }>();
function groupOrder(ctx: Ctx): { sorted: string[]; rank: Map<string, number> } {
  const keys = Object.keys(ctx.state.asgs);
  let o = orders.get(ctx.state.asgs);
  if (!o || o.count !== keys.length) {
    const sorted = keys.map((k) => ctx.state.asgs[k] as AsgRec).sort((a, b) => a.name.localeCompare(b.name)).map((a) => a.name);
    o = { count: keys.length, sorted, rank: new Map(sorted.map((n, i) => [n, i])) };
    orders.set(ctx.state.asgs, o);
  }
  return o;
}

export function autoscalingHandlers(ctx: Ctx, startRefresh: (asg: AsgRec, input: Input) => string): Handlers {
  return {
    DescribeAutoScalingGroups(input: Input) {
      const names = new Set(arr(input.AutoScalingGroupNames) as string[]);
      const { sorted, rank } = groupOrder(ctx);
      const listed = names.size === 0 ? sorted : [...names].filter((n) => rank.has(n)).sort((x, y) => (rank.get(x) as number) - (rank.get(y) as number));
      const picked = listed.map((n) => ctx.state.asgs[n] as AsgRec).filter((a) => matches(a, arr(input.Filters)));
      const { items, NextToken } = page(picked, input);
      const now = ctx.now();
      return { AutoScalingGroups: items.map((a) => renderAsg(ctx, asgView(ctx, a, now))), ...(NextToken ? { NextToken } : {}) };
    },
    // API Reference, CreateOrUpdateTags / "Tag" data type: each tag names its group (ResourceId, ResourceType
    // auto-scaling-group), Key 1–128 characters, Value 0–256; an unknown group is a ValidationError; at most 50 tags per
    // group (User Guide, "Tag Auto Scaling groups and instances": LimitExceeded). The stricter reading: the whole call
    // fails when one tag is bad, nothing is written.
    CreateOrUpdateTags(input: Input) {
      const tags = arr(input.Tags) as Record<string, unknown>[];
      if (tags.length === 0) throw awsError('ValidationError', 'Tags is required');
      const writes = tags.map((t) => {
        const asg = requireAsg(ctx, t.ResourceId);
        if (t.ResourceType !== 'auto-scaling-group') throw awsError('ValidationError', `ResourceType must be auto-scaling-group, got ${String(t.ResourceType)}`);
        const key = t.Key;
        const value = t.Value ?? '';
        if (typeof key !== 'string' || key.length < 1 || key.length > 128) throw awsError('ValidationError', 'Tag Key must be 1 to 128 characters');
        if (typeof value !== 'string' || value.length > 256) throw awsError('ValidationError', 'Tag Value must be at most 256 characters');
        return { asg, key, value };
      });
      for (const { asg, key } of writes)
        if (!(key in asg.tags) && Object.keys(asg.tags).length >= 50) throw awsError('LimitExceeded', `AutoScalingGroup ${asg.name} already has 50 tags`);
      for (const { asg, key, value } of writes) asg.tags[key] = value;
      return {};
    },
    // API Reference, DescribeLifecycleHooks / "LifecycleHook" data type. A scenario's `terminationHook: true` is someone
    // else's eksctl-style drain hook (HeartbeatTimeout 300; AWS's default is 3600) with GlobalTimeout = min(172800, 100 ×
    // HeartbeatTimeout) (User Guide, "Considerations and limitations"). Knowingly simplified: that foreign hook holds no
    // instance (a drainer we do not model that completes at once); the hooks put by PutLifecycleHook do (lifecycle.ts).
    DescribeLifecycleHooks(input: Input) {
      const a = requireAsg(ctx, input.AutoScalingGroupName);
      const wanted = arr(input.LifecycleHookNames) as string[];
      // API Reference, DescribeLifecycleHooks: LifecycleHookNames "Maximum number of 50 items".
      if (wanted.length > 50) throw awsError('ValidationError', 'LifecycleHookNames must have at most 50 items.');
      const ours = liveHooks(a, ctx.now());
      const foreign = a.terminationHook && !ours.some((h) => h.name === `${a.name}-node-drain`)
        ? [
            {
              LifecycleHookName: `${a.name}-node-drain`,
              AutoScalingGroupName: a.name,
              LifecycleTransition: TERMINATING,
              HeartbeatTimeout: 300,
              GlobalTimeout: globalTimeout(300),
              DefaultResult: 'CONTINUE',
            },
          ]
        : [];
      const hooks = [...foreign, ...ours.map((h) => renderHook(a, h))];
      return { LifecycleHooks: hooks.filter((h) => wanted.length === 0 || wanted.includes(h.LifecycleHookName)) };
    },
    PutLifecycleHook(input: Input) {
      const a = requireAsg(ctx, input.AutoScalingGroupName);
      const name = hookName(input.LifecycleHookName);
      const now = ctx.now();
      const live = liveHooks(a, now);
      const existing = live.find((h) => h.name === name);
      // API Reference, PutLifecycleHook: LifecycleTransition "Required for new lifecycle hooks, but optional when updating
      // existing hooks"; values autoscaling:EC2_INSTANCE_LAUNCHING | autoscaling:EC2_INSTANCE_TERMINATING.
      const transition = input.LifecycleTransition ?? existing?.transition;
      if (transition !== LAUNCHING && transition !== TERMINATING)
        throw awsError('ValidationError', `LifecycleTransition must be ${LAUNCHING} or ${TERMINATING}${transition === undefined ? ' (required for a new hook)' : ''}.`);
      // HeartbeatTimeout "from 30 to 7200 seconds. The default value is 3600 seconds (1 hour)".
      const hb = input.HeartbeatTimeout ?? existing?.heartbeatTimeout ?? 3600;
      if (typeof hb !== 'number' || !Number.isInteger(hb) || hb < 30 || hb > 7200) throw awsError('ValidationError', 'HeartbeatTimeout must be an integer from 30 to 7200 seconds.');
      // DefaultResult "Valid values: CONTINUE | ABANDON. Default: ABANDON".
      const def = input.DefaultResult ?? existing?.defaultResult ?? 'ABANDON';
      if (def !== 'CONTINUE' && def !== 'ABANDON') throw awsError('ValidationError', 'DefaultResult must be CONTINUE or ABANDON.');
      // NotificationMetadata: "Length Constraints: Minimum length of 1. Maximum length of 1023."
      const meta = input.NotificationMetadata ?? existing?.notificationMetadata;
      if (meta !== undefined && (typeof meta !== 'string' || meta.length < 1 || meta.length > 1023))
        throw awsError('ValidationError', 'NotificationMetadata must be 1 to 1023 characters.');
      const target = input.NotificationTargetARN ?? existing?.notificationTargetArn;
      const role = input.RoleARN ?? existing?.roleArn;
      // RoleARN: "Valid only if the notification target is an Amazon SNS topic or an Amazon SQS queue" — and required then.
      if (target !== undefined && role === undefined) throw awsError('ValidationError', 'RoleARN is required with NotificationTargetARN.');
      // User Guide, "Considerations and limitations" / quotas: 50 lifecycle hooks per Auto Scaling group (LimitExceeded).
      // Knowingly simplified: updating a hook keeps what the call leaves out (not documented; AWS's console does the same).
      if (!existing && live.length + (a.terminationHook && !live.some((h) => h.name === `${a.name}-node-drain`) ? 1 : 0) >= 50)
        throw awsError('LimitExceededFault', `Maximum number of lifecycle hooks (50) reached for Auto Scaling group ${a.name}.`);
      a.hooks = [
        ...(a.hooks ?? []),
        {
          name,
          transition,
          heartbeatTimeout: hb,
          defaultResult: def,
          ...(meta !== undefined ? { notificationMetadata: meta } : {}),
          ...(typeof target === 'string' ? { notificationTargetArn: target } : {}),
          ...(typeof role === 'string' ? { roleArn: role } : {}),
          from: now,
        },
      ];
      return {};
    },
    DeleteLifecycleHook(input: Input) {
      const a = requireAsg(ctx, input.AutoScalingGroupName);
      const name = hookName(input.LifecycleHookName);
      const now = ctx.now();
      const h = liveHooks(a, now).find((x) => x.name === name);
      // Not documented what deleting an unknown hook answers; the stricter reading refuses it (ValidationError).
      if (!h) throw awsError('ValidationError', `No Lifecycle Hook found with name ${name} for Auto Scaling group ${a.name}.`);
      // API Reference, DeleteLifecycleHook: outstanding actions are completed first (ABANDON for launching instances,
      // CONTINUE for terminating ones): lifecycle.ts ends every action of the hook at its deletion time.
      a.hooks = [...(a.hooks ?? []), { ...h, from: now, deleted: true }];
      return {};
    },
    CompleteLifecycleAction(input: Input) {
      const { r, action } = findAction(ctx, input, 'CompleteLifecycleAction');
      // API Reference, CompleteLifecycleAction: LifecycleActionResult "CONTINUE or ABANDON" (required).
      const result = input.LifecycleActionResult;
      if (result !== 'CONTINUE' && result !== 'ABANDON') throw awsError('ValidationError', 'LifecycleActionResult must be CONTINUE or ABANDON.');
      r.inputs = [...(r.inputs ?? []), { t: ctx.now(), kind: 'complete', token: action.token, result }];
      return {};
    },
    RecordLifecycleActionHeartbeat(input: Input) {
      const { r, action } = findAction(ctx, input, 'RecordLifecycleActionHeartbeat');
      // API Reference, RecordLifecycleActionHeartbeat: restarts the heartbeat timeout (never past the global timeout).
      r.inputs = [...(r.inputs ?? []), { t: ctx.now(), kind: 'heartbeat', token: action.token }];
      return {};
    },
    RollbackInstanceRefresh(input: Input) {
      const a = requireAsg(ctx, input.AutoScalingGroupName);
      const r = latestRefresh(ctx, a.name);
      const now = ctx.now();
      const v = r ? evaluateRefresh(r, now, ctx) : undefined;
      // API Reference, RollbackInstanceRefresh, Errors: ActiveInstanceRefreshNotFound "The request failed because an active
      // instance refresh or rollback for the specified Auto Scaling group was not found". A refresh that is Cancelling or
      // already rolling back is refused here too (the stricter reading); an external refresh cannot be rolled back by us.
      if (!r || !v || r.external || r.failure?.at !== undefined || !['Pending', 'InProgress', 'Baking'].includes(v.status))
        throw awsError('ActiveInstanceRefreshNotFoundFault', `No in progress or pending Instance Refresh found for Auto Scaling group ${a.name}`);
      // IrreversibleInstanceRefresh: "no desired configuration", or the group / desired configuration uses $Latest or
      // $Default, or an SSM parameter instead of an AMI ID (User Guide, "Undo changes with a manual or auto rollback").
      const moving = (x: string) => x === '$Latest' || x === '$Default';
      if (!r.desiredConfiguration || moving(r.previous.version) || moving(r.desired.version) || takesSsmImage(ctx, r.previous) || takesSsmImage(ctx, r.desired))
        throw awsError('IrreversibleInstanceRefreshFault', 'The request failed because a desired configuration was not found or an incompatible launch template (uses a Systems Manager parameter instead of an AMI ID) or launch template version ($Latest or $Default) is present on the Auto Scaling group.');
      if (r.hooked === true) r.rollbackRequestedAt = now;
      else {
        // A timeline refresh: the batch under way finishes first (as a cancel), then the replaced instances are replaced again.
        const eff = cancelEffective(r, now);
        const k = r.batchEnds.filter((e) => e <= eff).length;
        const at = Math.max(now, boundary(r, k));
        const replaced = r.batches.slice(0, k).flat().length;
        r.failure = { afterBatches: Math.max(0, now < r.pendingEnd ? 0 : k), reason: ROLLBACK_REASON, at };
        r.rollbackIds = Array.from({ length: now < r.pendingEnd ? 0 : replaced }, () => ctx.nextId('i-'));
      }
      return { InstanceRefreshId: r.id };
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
      const list = refreshesOf(ctx, a.name).filter((r) => ids.length === 0 || ids.includes(r.id)).reverse();
      const { items, NextToken } = page(list, input);
      return { InstanceRefreshes: items.map((r) => renderRefresh(r, evaluateRefresh(r, now, ctx))), ...(NextToken ? { NextToken } : {}) };
    },
    CancelInstanceRefresh(input: Input) {
      const a = requireAsg(ctx, input.AutoScalingGroupName);
      const r = latestRefresh(ctx, a.name);
      const now = ctx.now();
      const status = r ? evaluateRefresh(r, now, ctx).status : undefined;
      // API Reference, CancelInstanceRefresh: "If an instance refresh or rollback is not in progress, an
      // ActiveInstanceRefreshNotFound error occurs" (SDK name ActiveInstanceRefreshNotFoundFault). AWS also cancels a
      // rollback in progress; the simulation refuses that (stricter). WaitForTransitioningInstances is not modelled: the batch
      // under way always finishes first (refresh.ts cancelEffective).
      // A rollback requested of a refresh without hooks waits for the batch under way: it cannot be cancelled meanwhile.
      if (!r || !status || r.failure?.at !== undefined || !['Pending', 'InProgress', 'Baking'].includes(status))
        throw awsError('ActiveInstanceRefreshNotFoundFault', `No in progress or pending Instance Refresh found for Auto Scaling group ${a.name}`);
      r.cancelRequestedAt = now;
      return { InstanceRefreshId: r.id };
    },
  };
}

export { ACTIVE };
