import { createHash } from 'node:crypto';
import { MINUTE, type AsgRec, type Ctx, type HookRec, type InstanceRec, type LifecycleInputRec, type LtTarget, type RefreshRec } from './context.js';
import { launchMs } from './fastlaunch.js';

/**
 * Auto Scaling lifecycle hooks during an instance refresh, event by event.
 *
 * A refresh that starts while our hooks are on the group (RefreshRec.hooked) cannot be fixed at start: its timeline
 * depends on CompleteLifecycleAction / RecordLifecycleActionHeartbeat calls. The state keeps only the facts (hook versions
 * on the group, accepted calls on the refresh, a rollback request); `simulateHooked` replays them from the refresh's
 * start, so reads stay pure and a snapshot stays JSON. Without further calls it projects the rest (timeouts), which is
 * what schedules the EventBridge events (account.ts).
 *
 * Sources: Amazon EC2 Auto Scaling User Guide, "How lifecycle hooks work" (Pending → Pending:Wait → Pending:Proceed →
 * InService; Terminating → Terminating:Wait → Terminating:Proceed → Terminated), "Complete a lifecycle action",
 * "Considerations and limitations" (heartbeat timeout, global timeout 48 h or 100 × heartbeat, whichever is smaller);
 * API Reference CompleteLifecycleAction, RecordLifecycleActionHeartbeat, DeleteLifecycleHook, RollbackInstanceRefresh.
 */

export const LAUNCHING = 'autoscaling:EC2_INSTANCE_LAUNCHING';
export const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING';
type Transition = typeof LAUNCHING | typeof TERMINATING;
type Result = 'CONTINUE' | 'ABANDON';

// User Guide, "Considerations and limitations" / API Reference "LifecycleHook" GlobalTimeout: "The maximum time, in seconds,
// that an instance can remain in a wait state. The maximum is 172800 seconds (48 hours) or 100 times HeartbeatTimeout,
// whichever is smaller."
export const globalTimeout = (heartbeatTimeout: number): number => Math.min(172_800, 100 * heartbeatTimeout);

/** How far the projection looks ahead of `now` (an endless ABANDON → relaunch loop must end somewhere). */
const HORIZON_MS = 7 * 24 * 60 * MINUTE;

export interface ActionView {
  token: string;
  asgName: string;
  hookName: string;
  instanceId: string;
  transition: Transition;
  startedAt: number;
  /** Projected (without further calls) unless waiting for ever. */
  completedAt?: number;
  result?: Result;
  by?: 'call' | 'timeout' | 'deleteHook';
  notificationMetadata?: string;
}

export interface LaunchView {
  instanceId: string;
  cfg: LtTarget;
  slot: number;
  launchedAt: number;
  bootedAt: number;
  inServiceAt?: number;
  terminatingAt?: number;
  terminatedAt?: number;
}

interface Segment {
  from: number;
  status: string;
  reason?: string;
}

export interface HookedSim {
  segments: Segment[];
  launches: LaunchView[];
  /** Old instances (index into instancesAtStart) that leave: when termination starts and ends. */
  oldEnds: Map<number, { terminatingAt: number; terminatedAt: number }>;
  actions: ActionView[];
  /** Refresh batches done: [end time, instances]. */
  batchesDone: [number, number][];
  rollback?: { reason: string; start: number; percentage: number; toUpdate: number; total: number; done: [number, number][] };
  truncatedAt?: number;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
// API Reference, CompleteLifecycleAction: LifecycleActionToken is a UUID (36 characters). Derived from the refresh and
// the action, so a replay gives the same token (no counter in the state is consumed by a read).
export function tokenFor(key: string): string {
  const h = sha(key);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
const instanceIdFor = (key: string) => `i-${sha(key).slice(0, 17)}`;

/**
 * The hook versions an instance entering a wait state at `t` meets. Simulated events at `t` come before the calls made at
 * `t` (a call at that very moment already sees the wait), so only versions written before `t` count.
 */
export function hooksAt(asg: AsgRec, t: number, inclusive = false): HookRec[] {
  const latest = new Map<string, HookRec>();
  for (const h of asg.hooks ?? []) if (h.from < t || (inclusive && h.from === t)) latest.set(h.name, h);
  return [...latest.values()].filter((h) => h.deleted !== true);
}

/** Our hooks on the group as a call at `now` sees them (put through PutLifecycleHook). */
export function liveHooks(asg: AsgRec, now: number): HookRec[] {
  return hooksAt(asg, now, true);
}


const chunk = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

export function simulateHooked(ctx: Ctx, r: RefreshRec, asg: AsgRec, now: number): HookedSim {
  const horizon = now + HORIZON_MS;
  const inputs = new Map<string, LifecycleInputRec[]>();
  for (const i of r.inputs ?? []) inputs.set(i.token, [...(inputs.get(i.token) ?? []), i]);
  const sim: HookedSim = { segments: [{ from: r.start, status: 'Pending' }], launches: [], oldEnds: new Map(), actions: [], batchesDone: [] };

  /** One lifecycle action: ends with a call, a heartbeat timeout (DefaultResult), the global timeout or the hook's deletion. */
  const act = (hook: HookRec, instanceId: string, start: number, transition: Transition): { end: number; result: Result } => {
    const token = tokenFor(`${r.id}:${instanceId}:${hook.name}:${transition}`);
    const hb = hook.heartbeatTimeout * 1000;
    const global = start + globalTimeout(hook.heartbeatTimeout) * 1000;
    // User Guide, "Complete a lifecycle action": "If you need more time, record the lifecycle action heartbeat ... restarts
    // the timeout period" (RecordLifecycleActionHeartbeat), never past the global timeout.
    let deadline = Math.min(start + hb, global);
    // API Reference, DeleteLifecycleHook: "If there are any outstanding lifecycle actions, they are completed first (ABANDON
    // for launching instances, CONTINUE for terminating instances)."
    const deletion = (asg.hooks ?? []).find((h) => h.name === hook.name && h.deleted === true && h.from >= start)?.from;
    let out: { end: number; result: Result; by: 'call' | 'timeout' | 'deleteHook' } | undefined;
    for (const i of inputs.get(token) ?? []) {
      // A call at or after the deadline came too late (the stricter reading for a tie; such calls are refused). A call
      // accepted at the very moment of the deletion came before it (after it, the action was no longer active).
      if (i.t >= deadline || (deletion !== undefined && i.t > deletion)) break;
      if (i.kind === 'heartbeat') deadline = Math.min(global, i.t + hb);
      else {
        out = { end: i.t, result: i.result ?? 'ABANDON', by: 'call' };
        break;
      }
    }
    if (!out)
      out =
        deletion !== undefined && deletion < deadline
          ? { end: deletion, result: transition === LAUNCHING ? 'ABANDON' : 'CONTINUE', by: 'deleteHook' }
          : // User Guide, "How lifecycle hooks work": when the heartbeat timeout ends, Auto Scaling takes the DefaultResult.
            { end: deadline, result: hook.defaultResult, by: 'timeout' };
    sim.actions.push({
      token,
      asgName: asg.name,
      hookName: hook.name,
      instanceId,
      transition,
      startedAt: start,
      completedAt: out.end,
      result: out.result,
      by: out.by,
      ...(hook.notificationMetadata !== undefined ? { notificationMetadata: hook.notificationMetadata } : {}),
    });
    return out;
  };

  /** Terminating → (Terminating:Wait for every terminate hook) → Terminated; returns when it is gone. */
  const terminate = (instanceId: string, t: number): number => {
    let end = t;
    // User Guide, "How lifecycle hooks work": both CONTINUE and ABANDON of a terminate action end in termination.
    for (const h of hooksAt(asg, t).filter((x) => x.transition === TERMINATING)) end = Math.max(end, act(h, instanceId, t, TERMINATING).end);
    return end;
  };

  /**
   * Launches into `slot` at `t` until an instance goes InService. User Guide, "How lifecycle hooks work": the instance
   * leaves Pending for Pending:Wait (after durations.instanceBoot) and stays until every launch hook is completed; CONTINUE →
   * InService, ABANDON → the instance is terminated and Auto Scaling launches a replacement, which goes through the hooks
   * again. Not documented whether an abandoned launch passes the terminate hooks: it does not here. `ready` is when the
   * warm-up (the rest of durations.instanceLaunch) is over; Infinity while it waits for ever (beyond the horizon).
   */
  const launchInto = (slot: number, cfg: LtTarget, t: number, key: string, firstId: string | undefined, noRelaunchAfter: number, snapshot = false): { ready: number; inst?: LaunchView } => {
    let L = t;
    for (let attempt = 0; ; attempt++) {
      if (L > horizon) {
        sim.truncatedAt = horizon;
        return { ready: Infinity };
      }
      const id = attempt === 0 && firstId !== undefined ? firstId : instanceIdFor(`${r.id}:${key}:${slot}:${attempt}`);
      // Fast only for the launch that booked a pre-provisioned snapshot when the refresh started (planRefresh, at the time
      // its batch would launch without hooks: the hooks only delay it). A relaunch after ABANDON and a rollback's launches
      // booked none: slow (fastlaunch.ts, launchMs; the stricter reading).
      const times = launchMs(ctx, cfg.imageId, L, attempt === 0 && snapshot);
      const inst: LaunchView = { instanceId: id, cfg, slot, launchedAt: L, bootedAt: L + times.bootMs };
      sim.launches.push(inst);
      let end = inst.bootedAt;
      let result: Result = 'CONTINUE';
      for (const h of hooksAt(asg, inst.bootedAt).filter((x) => x.transition === LAUNCHING)) {
        const a = act(h, id, inst.bootedAt, LAUNCHING);
        end = Math.max(end, a.end);
        if (a.result === 'ABANDON') result = 'ABANDON';
      }
      if (result === 'CONTINUE') {
        inst.inServiceAt = end;
        return { ready: Math.max(end, L + times.launchMs), inst };
      }
      inst.terminatingAt = end;
      inst.terminatedAt = end;
      if (end >= noRelaunchAfter) return { ready: Infinity, inst };
      L = end;
    }
  };

  const total = r.batches.flat().length;
  const pct = (n: number) => (total === 0 ? 100 : Math.round((n / total) * 100));
  const rho = r.rollbackRequestedAt;
  const cancel = r.cancelRequestedAt;
  const current = new Map<number, LaunchView>();
  const replaced: number[] = [];
  let strayEnd = -Infinity;
  let done = 0;

  const rollback = (at: number, reason: string): HookedSim => {
    sim.segments.push({ from: at, status: 'RollbackInProgress', reason });
    const width = Math.max(1, r.batches[0]?.length ?? 1);
    sim.rollback = { reason, start: at, percentage: pct(done), toUpdate: total - done, total: replaced.length, done: [] };
    let T = at;
    // User Guide, "Undo changes with a manual or auto rollback": the instances already replaced are replaced again with
    // the previous configuration; new launches pass the launch hooks, the leaving ones the terminate hooks.
    for (const b of chunk(replaced, width)) {
      let R = T;
      for (const slot of b) R = Math.max(R, launchInto(slot, r.previous, T, 'rollback', undefined, Infinity).ready);
      if (!Number.isFinite(R)) return sim;
      let E = R;
      for (const slot of b) {
        const inst = current.get(slot);
        if (!inst || inst.terminatedAt !== undefined) continue;
        inst.terminatingAt = R;
        inst.terminatedAt = terminate(inst.instanceId, R);
        E = Math.max(E, inst.terminatedAt);
      }
      sim.rollback.done.push([E, b.length]);
      T = E;
    }
    sim.segments.push({ from: Math.max(T, strayEnd), status: 'RollbackSuccessful', reason });
    return sim;
  };

  if (cancel !== undefined && cancel < r.pendingEnd) {
    sim.segments.push({ from: cancel, status: 'Cancelled' });
    return sim;
  }
  if (rho !== undefined && rho < r.pendingEnd) return rollback(rho, ROLLBACK_REASON);
  sim.segments.push({ from: r.pendingEnd, status: 'InProgress' });
  const checkpoints = (Array.isArray(r.preferences.CheckpointPercentages) ? (r.preferences.CheckpointPercentages as number[]) : []).slice().sort((x, y) => x - y);
  const delayMs = (typeof r.preferences.CheckpointDelay === 'number' ? r.preferences.CheckpointDelay : 3600) * 1000;
  let T = r.pendingEnd;
  let flat = 0;
  for (let k = 0; k < r.batches.length; k++) {
    const batch = r.batches[k] ?? [];
    // Between batches (a checkpoint delay): a cancel takes effect at once, a rollback starts at once.
    if (cancel !== undefined && cancel <= T) {
      sim.segments.push({ from: cancel, status: 'Cancelled' });
      return sim;
    }
    if (rho !== undefined && rho <= T) return rollback(rho, ROLLBACK_REASON);
    if (r.failure && k === r.failure.afterBatches) {
      if (r.preferences.AutoRollback === true) return rollback(T, r.failure.reason);
      sim.segments.push({ from: T, status: 'Failed', reason: r.failure.reason });
      return sim;
    }
    if (T > (sim.batchesDone.at(-1)?.[0] ?? r.pendingEnd)) sim.segments.push({ from: T, status: 'InProgress' });
    let R = T;
    const fresh: LaunchView[] = [];
    for (const slot of batch) {
      const snapshot = r.snapshots?.[flat] === true;
      const res = launchInto(slot, r.desired, T, 'refresh', r.newIds[flat++], rho ?? Infinity, snapshot);
      R = Math.max(R, res.ready);
      if (res.inst) fresh.push(res.inst);
    }
    if (rho !== undefined && rho < R) {
      // Rollback while the batch's new instances are not all ready: the old ones stay; the new ones are terminated (those
      // still waiting when their action ends). Not documented; the stricter reading keeps every wait until it ends.
      for (const inst of fresh) {
        if (inst.terminatedAt !== undefined) continue;
        if (inst.inServiceAt !== undefined && inst.inServiceAt <= rho) {
          inst.terminatingAt = rho;
          inst.terminatedAt = terminate(inst.instanceId, rho);
        } else if (inst.inServiceAt !== undefined) {
          inst.terminatingAt = inst.inServiceAt;
          inst.terminatedAt = inst.inServiceAt;
          delete inst.inServiceAt;
        } else continue;
        strayEnd = Math.max(strayEnd, inst.terminatedAt);
      }
      if (fresh.some((i) => i.terminatedAt === undefined)) strayEnd = Infinity;
      return rollback(rho, ROLLBACK_REASON);
    }
    if (!Number.isFinite(R)) {
      // Waiting beyond the horizon: a cancel requested meanwhile is Cancelling until the batch ends.
      if (cancel !== undefined && cancel >= T) sim.segments.push({ from: cancel, status: 'Cancelling' });
      return sim;
    }
    let E = R;
    for (const slot of batch) {
      const old = r.instancesAtStart[slot];
      if (!old) continue;
      const end = terminate(old.instanceId, R);
      sim.oldEnds.set(slot, { terminatingAt: R, terminatedAt: end });
      E = Math.max(E, end);
      const inst = fresh.find((i) => i.slot === slot && i.inServiceAt !== undefined);
      if (inst) current.set(slot, inst);
      replaced.push(slot);
    }
    // User Guide, "Cancel an instance refresh": the batch under way finishes first (as refresh.ts cancelEffective).
    if (cancel !== undefined && cancel < E) {
      sim.segments.push({ from: cancel, status: 'Cancelling' });
      sim.batchesDone.push([E, batch.length]);
      sim.segments.push({ from: E, status: 'Cancelled' });
      return sim;
    }
    if (rho !== undefined && rho < E) return rollback(rho, ROLLBACK_REASON);
    const prev = pct(done);
    done += batch.length;
    sim.batchesDone.push([E, batch.length]);
    T = E;
    // API Reference, "RefreshPreferences": a reached checkpoint pauses replacements for CheckpointDelay.
    if (pct(done) < 100 && checkpoints.some((c) => prev < c && c <= pct(done))) {
      sim.segments.push({ from: E, status: 'InProgress', reason: 'Waiting for checkpoint delay to finish before the next replacement.' });
      T = E + delayMs;
    }
  }
  if (r.failure && r.failure.afterBatches >= r.batches.length) {
    if (r.preferences.AutoRollback === true) return rollback(T, r.failure.reason);
    sim.segments.push({ from: T, status: 'Failed', reason: r.failure.reason });
    return sim;
  }
  const bakeEnd = T + r.bakeMs;
  if (r.bakeMs > 0) sim.segments.push({ from: T, status: 'Baking' });
  if (cancel !== undefined && cancel < bakeEnd) {
    sim.segments.push({ from: Math.max(cancel, T), status: 'Cancelled' });
    return sim;
  }
  if (rho !== undefined && rho < bakeEnd) return rollback(Math.max(rho, T), ROLLBACK_REASON);
  sim.segments.push({ from: bakeEnd, status: 'Successful' });
  return sim;
}

// API Reference, "RollbackDetails" RollbackReason: "whether a manual or automatic rollback was initiated". AWS's exact text
// is not documented; ours says who asked.
export const ROLLBACK_REASON = 'Rollback requested by the user (RollbackInstanceRefresh).';

export interface HookedView {
  status: string;
  statusReason?: string;
  endTime?: number;
  percentageComplete: number;
  instancesToUpdate: number;
  instances: InstanceRec[];
  rollback?: { reason: string; start: number; percentage: number; toUpdate: number };
}

const FINAL = new Set(['Successful', 'Failed', 'Cancelled', 'RollbackSuccessful', 'RollbackFailed']);

/** The lifecycle state of a launched instance at `now` (undefined: not there). */
function launchState(i: LaunchView, now: number): string | undefined {
  if (i.launchedAt > now || (i.terminatedAt !== undefined && i.terminatedAt <= now)) return undefined;
  if (i.terminatingAt !== undefined && i.terminatingAt <= now) return 'Terminating:Wait';
  if (now < i.bootedAt) return 'Pending';
  if (i.inServiceAt !== undefined && i.inServiceAt <= now) return 'InService';
  return 'Pending:Wait';
}

export function hookedView(r: RefreshRec, sim: HookedSim, now: number): HookedView {
  const seg = sim.segments.filter((s) => s.from <= now).at(-1) ?? { from: r.start, status: 'Pending' };
  const total = r.batches.flat().length;
  const done = sim.batchesDone.filter(([t]) => t <= now).reduce((n, [, c]) => n + c, 0);
  const instances: InstanceRec[] = [];
  r.instancesAtStart.forEach((old, slot) => {
    const end = sim.oldEnds.get(slot);
    if (!end || end.terminatedAt > now) {
      const rec = structuredClone(old);
      delete rec.lifecycleState;
      if (end && end.terminatingAt <= now) rec.lifecycleState = 'Terminating:Wait';
      instances.push(rec);
    }
    for (const i of sim.launches.filter((l) => l.slot === slot)) {
      const state = launchState(i, now);
      if (!state) continue;
      instances.push({
        instanceId: i.instanceId,
        ltId: i.cfg.ltId,
        version: i.cfg.version,
        versionNumber: i.cfg.versionNumber,
        imageId: i.cfg.imageId,
        ...(state !== 'InService' ? { lifecycleState: state } : {}),
      });
    }
  });
  const rb = sim.rollback && sim.rollback.start <= now ? sim.rollback : undefined;
  const rbDone = rb ? rb.done.filter(([t]) => t <= now).reduce((n, [, c]) => n + c, 0) : 0;
  // API Reference, "RollbackDetails": PercentageCompleteOnRollback / InstancesToUpdateOnRollback keep the refresh's values
  // at the rollback's start; PercentageComplete / InstancesToUpdate then follow the rollback.
  const progress = rb
    ? { percentageComplete: rb.total === 0 ? 100 : Math.round((rbDone / rb.total) * 100), instancesToUpdate: rb.total - rbDone }
    : { percentageComplete: total === 0 ? 100 : Math.round((done / total) * 100), instancesToUpdate: total - done };
  return {
    status: seg.status,
    ...(seg.reason !== undefined ? { statusReason: seg.reason } : {}),
    ...(FINAL.has(seg.status) ? { endTime: seg.from } : {}),
    ...progress,
    instances,
    ...(rb ? { rollback: { reason: rb.reason, start: rb.start, percentage: rb.percentage, toUpdate: rb.toUpdate } } : {}),
  };
}

/** The actions active at `now` (started, not completed). */
export function activeActions(sim: HookedSim, now: number): ActionView[] {
  return sim.actions.filter((a) => a.startedAt <= now && (a.completedAt === undefined || a.completedAt > now));
}

export interface SimInstanceHistory {
  instanceId: string;
  asgName: string;
  imageId: string;
  ltId: string;
  versionNumber: number;
  launchedAt: string;
  /** kubelet registers here. */
  bootedAt: string;
  terminatedAt?: string;
  lifecycleState: string;
}

export interface AutoScalingEvent {
  version: '0';
  id: string;
  'detail-type': 'EC2 Instance-launch Lifecycle Action' | 'EC2 Instance-terminate Lifecycle Action';
  source: 'aws.autoscaling';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    LifecycleActionToken: string;
    AutoScalingGroupName: string;
    LifecycleHookName: string;
    EC2InstanceId: string;
    LifecycleTransition: Transition;
    NotificationMetadata?: string;
    Origin: 'EC2' | 'AutoScalingGroup';
    Destination: 'AutoScalingGroup' | 'EC2';
  };
}

// User Guide, "Amazon EventBridge events for Auto Scaling" ("EC2 Instance-launch Lifecycle Action" / "EC2
// Instance-terminate Lifecycle Action"): sent when the instance enters the wait state; launch Origin EC2 → Destination
// AutoScalingGroup, terminate AutoScalingGroup → EC2; NotificationMetadata only when the hook has some.
export function eventOf(ctx: Ctx, asg: AsgRec, a: ActionView): AutoScalingEvent {
  const launch = a.transition === LAUNCHING;
  return {
    version: '0',
    id: tokenFor(`event:${a.token}`),
    'detail-type': launch ? 'EC2 Instance-launch Lifecycle Action' : 'EC2 Instance-terminate Lifecycle Action',
    source: 'aws.autoscaling',
    account: ctx.accountId,
    time: new Date(a.startedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: ctx.region,
    resources: [asg.arn],
    detail: {
      LifecycleActionToken: a.token,
      AutoScalingGroupName: asg.name,
      LifecycleHookName: a.hookName,
      EC2InstanceId: a.instanceId,
      LifecycleTransition: a.transition,
      ...(a.notificationMetadata !== undefined ? { NotificationMetadata: a.notificationMetadata } : {}),
      Origin: launch ? 'EC2' : 'AutoScalingGroup',
      Destination: launch ? 'AutoScalingGroup' : 'EC2',
    },
  };
}

