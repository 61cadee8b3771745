import { type AsgRec, type Ctx, type InstanceRec, type LtTarget, type RefreshRec } from './context.js';
import { reserveLaunches } from './ec2-limits.js';
import { launchMs, takeSnapshot } from './fastlaunch.js';
import { hookedView, simulateHooked, type LaunchView } from './lifecycle.js';

// Not documented how long a refresh stays Pending; the simulation takes 30 s (any poll may see Pending first).
// Statuses, API Reference "InstanceRefresh" data type: Pending, InProgress, Successful, Failed, Cancelling, Cancelled,
// RollbackInProgress, RollbackFailed, RollbackSuccessful, Baking; ACTIVE are those that block StartInstanceRefresh.
const PENDING_MS = 30_000;
export const ACTIVE = new Set(['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking']);

export interface RefreshView {
  status: string;
  statusReason?: string;
  percentageComplete: number;
  instancesToUpdate: number;
  endTime?: number;
  instances: InstanceRec[];
  /** The launch template spec the ASG holds at this moment. */
  target: LtTarget;
  rollback?: { reason: string; start: number; percentage: number; toUpdate: number };
}

const chunk = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

// User Guide, "Understand the default values for an instance refresh" / "How an instance refresh works":
// MinHealthyPercentage default 90, MaxHealthyPercentage default 100 (no instance maintenance policy is modelled).
export function batchSize(n: number, prefs: Record<string, unknown>): number {
  const min = num(prefs.MinHealthyPercentage, 90);
  const max = num(prefs.MaxHealthyPercentage, 100);
  // Below MinHealthy AWS may terminate first; above 100 % (MaxHealthy) it may launch first: both widen the batch.
  return Math.max(1, n - Math.ceil((n * min) / 100) + Math.floor((n * Math.max(0, max - 100)) / 100));
}

export interface PlanArgs {
  id: string;
  asg: AsgRec;
  instances: InstanceRec[];
  previous: LtTarget;
  desired: LtTarget;
  preferences: Record<string, unknown>;
  desiredConfiguration?: Record<string, unknown>;
  failure?: { atPercent: number; reason: string };
}

/** Fixes the whole timeline at start (a write), so reads only evaluate it against the clock. */
export function planRefresh(ctx: Ctx, a: PlanArgs): RefreshRec {
  const start = ctx.now();
  const prefs = a.preferences;
  const matches = (i: InstanceRec) => i.ltId === a.desired.ltId && i.versionNumber === a.desired.versionNumber;
  // Instance refresh user guide ("Understand the default values for an instance refresh", ScaleInProtectedInstances /
  // StandbyInstances): Ignore skips those instances and the refresh can still end Successful; Refresh/Terminate replace
  // them; Wait (the API default) waits for them and fails the refresh after an hour (modelled as a failure at the end).
  const protectedPref = typeof prefs.ScaleInProtectedInstances === 'string' ? prefs.ScaleInProtectedInstances : 'Wait';
  const standbyPref = typeof prefs.StandbyInstances === 'string' ? prefs.StandbyInstances : 'Wait';
  const held = (i: InstanceRec) => (i.protected === true && protectedPref !== 'Refresh') || (i.standby === true && standbyPref !== 'Terminate');
  const waitsFor = a.instances.some((i) => (i.protected === true && protectedPref === 'Wait') || (i.standby === true && standbyPref === 'Wait'));
  const toReplace = a.instances.map((i, idx) => ({ i, idx })).filter(({ i }) => (prefs.SkipMatching !== true || !matches(i)) && !held(i)).map(({ idx }) => idx);
  const size = batchSize(a.instances.length, prefs);
  const batches = chunk(toReplace, size);
  // API Reference, "RefreshPreferences": CheckpointDelay "defaults to 3600 (1 hour)" when CheckpointPercentages is given;
  // reaching a checkpoint pauses replacements for CheckpointDelay. Each batch takes durations.instanceLaunch whatever
  // InstanceWarmup says (knowingly simplified: InstanceWarmup and the group's DefaultInstanceWarmup are not modelled).
  const checkpoints = (Array.isArray(prefs.CheckpointPercentages) ? (prefs.CheckpointPercentages as number[]) : []).slice().sort((x, y) => x - y);
  const delayMs = num(prefs.CheckpointDelay, 3600) * 1000;
  const pendingEnd = start + PENDING_MS;
  const batchStarts: number[] = [];
  const batchEnds: number[] = [];
  const pcts: number[] = [0];
  let cursor = pendingEnd;
  let done = 0;
  const snapshots: boolean[] = [];
  for (const b of batches) {
    // Each replacement is one RunInstances launch: past EC2's resource token bucket the batch starts when Auto Scaling's retried launch goes through.
    cursor = reserveLaunches(ctx, cursor, b.length);
    batchStarts.push(cursor);
    const prev = pcts[pcts.length - 1] ?? 0;
    // Each launch takes a pre-provisioned snapshot if the AMI's pool has one for it (fastlaunch.ts); a batch that fails
    // before it launches (an injected failure at this percentage) takes none. The batch lasts as long as its slowest launch.
    const launches = a.failure && prev >= a.failure.atPercent ? [] : b.map(() => takeSnapshot(ctx, a.desired.imageId, cursor));
    snapshots.push(...launches);
    cursor += launchMs(ctx, a.desired.imageId, cursor, launches.length > 0 && launches.every(Boolean)).launchMs;
    batchEnds.push(cursor);
    done += b.length;
    const pct = Math.round((done / toReplace.length) * 100);
    pcts.push(pct);
    if (pct < 100 && checkpoints.some((c) => prev < c && c <= pct)) cursor += delayMs;
  }
  let failure: RefreshRec['failure'];
  // User Guide, "Understand the default values for an instance refresh": with ScaleInProtectedInstances/StandbyInstances
  // 'Wait' the refresh waits for those instances and fails after an hour (modelled as failing once the other batches end).
  if (!a.failure && waitsFor) failure = { afterBatches: batches.length, reason: 'Timed out waiting for instances that are protected from scale in or in Standby to be made eligible for replacement.' };
  if (a.failure) {
    const k = pcts.findIndex((p, i) => p >= a.failure!.atPercent || i === pcts.length - 1);
    failure = { afterBatches: Math.max(0, k), reason: a.failure.reason };
  }
  const replaced = failure ? batches.slice(0, failure.afterBatches).flat().length : 0;
  return {
    id: a.id,
    asgName: a.asg.name,
    start,
    preferences: structuredClone(prefs),
    ...(a.desiredConfiguration ? { desiredConfiguration: structuredClone(a.desiredConfiguration) } : {}),
    desired: a.desired,
    previous: a.previous,
    instancesAtStart: structuredClone(a.instances),
    batches,
    // A rollback's launches are not booked in the previous AMI's pool (when they come is known only once the refresh
    // fails): they take the time of a launch without a snapshot, the stricter reading.
    batchMs: launchMs(ctx, a.previous.imageId, start, false).launchMs,
    snapshots,
    pendingEnd,
    batchStarts,
    batchEnds,
    // User Guide, "Understand the default values for an instance refresh": BakeTime default zero; the refresh is Baking
    // before it is Successful.
    bakeMs: num(prefs.BakeTime, 0) * 1000,
    newIds: toReplace.map(() => ctx.nextId('i-')),
    // API Reference, "RefreshPreferences" AutoRollback: a failed refresh with AutoRollback replaces the already replaced
    // instances again with the previous configuration (User Guide, "Undo changes with a manual or auto rollback").
    rollbackIds: failure && prefs.AutoRollback === true ? Array.from({ length: replaced }, () => ctx.nextId('i-')) : [],
    ...(failure ? { failure } : {}),
  };
}

/** A copy of instance records: their fields are all primitives, so a shallow copy of each is a deep copy (and cheaper than structuredClone). */
function copyInstances(instances: InstanceRec[]): InstanceRec[] {
  return instances.map((i) => ({ ...i }));
}

function withReplaced(r: RefreshRec, batchCount: number): InstanceRec[] {
  const out = copyInstances(r.instancesAtStart);
  r.batches.slice(0, batchCount).flat().forEach((idx, p) => {
    out[idx] = { instanceId: r.newIds[p] ?? `i-missing${p}`, ltId: r.desired.ltId, version: r.desired.version, versionNumber: r.desired.versionNumber, imageId: r.desired.imageId };
  });
  return out;
}

export function boundary(r: RefreshRec, k: number): number {
  return k === 0 ? r.pendingEnd : (r.batchEnds[k - 1] ?? r.pendingEnd);
}

function progress(r: RefreshRec, batchCount: number): { percentageComplete: number; instancesToUpdate: number } {
  const total = r.batches.reduce((n, b) => n + b.length, 0);
  const done = r.batches.slice(0, batchCount).reduce((n, b) => n + b.length, 0);
  return { percentageComplete: total === 0 ? 100 : Math.round((done / total) * 100), instancesToUpdate: total - done };
}

/** When batch `j`'s launches start. */
function batchStart(r: RefreshRec, j: number): number {
  return r.batchStarts[j] ?? 0;
}

/** When a cancel requested at `t` takes effect: the batch under way finishes first. */
// User Guide, "Cancel an instance refresh": the status is Cancelling, then Cancelled; replaced instances are not rolled
// back. Not documented exactly when; the stricter reading: the batch under way finishes first (Cancelling lasts longer).
export function cancelEffective(r: RefreshRec, t: number): number {
  const k = r.batchEnds.findIndex((end, j) => t > batchStart(r, j) && t < end);
  return k >= 0 ? (r.batchEnds[k] ?? t) : t;
}

export function evaluateRefresh(r: RefreshRec, now: number, ctx: Ctx): RefreshView {
  // A refresh that started with our lifecycle hooks on the group is driven event by event (lifecycle.ts).
  const hookedAsg = r.hooked === true ? ctx.state.asgs[r.asgName] : undefined;
  if (hookedAsg) {
    const v = hookedView(r, simulateHooked(ctx, r, hookedAsg, now), now);
    return { ...v, target: v.status === 'Successful' ? r.desired : r.previous };
  }
  // Built only for the answers that use it (a copy of every instance on each read is most of a describe's cost).
  const base = () => ({ instances: copyInstances(r.instancesAtStart), target: r.previous });
  // A refresh started outside the pipeline (fault refreshInProgress) or one that cannot replace anything (suspended
  // processes, suspended.ts): InProgress until its end, then Successful; nothing modelled per batch.
  if (r.external) {
    if (r.cancelRequestedAt !== undefined && now >= r.cancelRequestedAt)
      return { ...base(), status: 'Cancelled', percentageComplete: 0, instancesToUpdate: r.instancesAtStart.length, endTime: r.cancelRequestedAt };
    const pct = Math.min(100, Math.round(((now - r.start) / (r.external.end - r.start)) * 100));
    return now < r.external.end
      ? { ...base(), status: 'InProgress', percentageComplete: pct, instancesToUpdate: r.instancesAtStart.length }
      : { ...base(), status: 'Successful', percentageComplete: 100, instancesToUpdate: 0, endTime: r.external.end };
  }
  const doneBy = (t: number) => r.batchEnds.filter((e) => e <= t).length;
  if (r.cancelRequestedAt !== undefined && now >= r.cancelRequestedAt) {
    const eff = cancelEffective(r, r.cancelRequestedAt);
    const k = doneBy(Math.min(now, eff));
    return {
      status: now < eff ? 'Cancelling' : 'Cancelled',
      ...(now >= eff ? { endTime: eff } : {}),
      ...progress(r, k),
      instances: withReplaced(r, k),
      target: r.previous,
    };
  }
  // A manual rollback (RollbackInstanceRefresh) is recorded as a failure taking effect at `failure.at`.
  if (r.failure && now >= (r.failure.at ?? boundary(r, r.failure.afterBatches))) {
    const k = r.failure.afterBatches;
    const failTime = r.failure.at ?? boundary(r, k);
    const p = progress(r, k);
    const failed = { ...p, statusReason: r.failure.reason, target: r.previous };
    if (r.preferences.AutoRollback !== true && r.failure.at === undefined) return { ...failed, status: 'Failed', endTime: failTime, instances: withReplaced(r, k) };
    const replacedIdx = r.batches.slice(0, k).flat();
    // User Guide, "Undo changes with a manual or auto rollback": RollbackInProgress, then RollbackSuccessful; RollbackDetails
    // (API Reference "RollbackDetails"). Rollback batches are as wide as the refresh's (not documented; a plain reading).
    const rbBatches = chunk(replacedIdx, Math.max(1, r.batches[0]?.length ?? 1));
    const rbDone = Math.min(rbBatches.length, Math.floor((now - failTime) / r.batchMs));
    const instances = withReplaced(r, k);
    rbBatches.slice(0, rbDone).flat().forEach((idx, q) => {
      instances[idx] = { instanceId: r.rollbackIds[q] ?? `i-missing${q}`, ltId: r.previous.ltId, version: r.previous.version, versionNumber: r.previous.versionNumber, imageId: r.previous.imageId };
    });
    const rbTotal = replacedIdx.length;
    const rbCount = rbBatches.slice(0, rbDone).flat().length;
    // API Reference, "RollbackDetails": PercentageCompleteOnRollback / InstancesToUpdateOnRollback are "the value of
    // PercentageComplete [InstancesToUpdate] at the time the rollback started"; from then on those two follow the rollback.
    const rollback = { reason: r.failure.reason, start: failTime, percentage: p.percentageComplete, toUpdate: p.instancesToUpdate };
    // API Reference, InstanceRefresh: PercentageComplete "does not include instances that are replaced during a rollback.
    // This value gradually goes back down to zero during a rollback"; InstancesToUpdate then "shows you the number of
    // instances that were not yet updated by the instance refresh".
    const rbProgress = { percentageComplete: rbTotal === 0 ? 0 : Math.round(p.percentageComplete * (1 - rbCount / rbTotal)), instancesToUpdate: p.instancesToUpdate };
    return rbDone >= rbBatches.length
      ? { ...failed, ...rbProgress, status: 'RollbackSuccessful', endTime: failTime + rbBatches.length * r.batchMs, instances, rollback }
      : { ...failed, ...rbProgress, status: 'RollbackInProgress', instances, rollback };
  }
  // API Reference, DescribeInstanceRefreshes: Pending before the first replacement.
  if (now < r.pendingEnd) return { ...base(), status: 'Pending', percentageComplete: 0, instancesToUpdate: r.batches.flat().length };
  const k = doneBy(now);
  if (k < r.batches.length) {
    // User Guide, "Add checkpoints to an instance refresh": StatusReason tells a checkpoint is being waited for.
    // A gap without checkpoints is a launch throttled by EC2 (ec2-limits.ts): Auto Scaling says nothing of it in StatusReason.
    const waiting = k > 0 && now < batchStart(r, k) && Array.isArray(r.preferences.CheckpointPercentages);
    return {
      status: 'InProgress',
      ...(waiting ? { statusReason: 'Waiting for checkpoint delay to finish before the next replacement.' } : {}),
      ...progress(r, k),
      instances: withReplaced(r, k),
      target: r.previous,
    };
  }
  const lastEnd = boundary(r, r.batches.length);
  const instances = withReplaced(r, k);
  if (now < lastEnd + r.bakeMs) return { status: 'Baking', ...progress(r, k), instances, target: r.previous };
  // User Guide, "Use an instance refresh with a desired configuration": only on Successful does the group take the
  // desired configuration (target = desired); Failed/Cancelled leave the group's configuration as it was.
  return { status: 'Successful', ...progress(r, k), endTime: lastEnd + r.bakeMs, instances, target: r.desired };
}

/**
 * A group's refreshes, oldest first (the order of state.refreshes). state.refreshes is append-only (refreshes are pushed,
 * never removed or replaced, and `hooked` is set before the push), so the index by group only has to take in what was
 * pushed since it was last read: a 5,000-group rehearsal no longer scans every refresh of the account on each
 * DescribeInstanceRefreshes or write.
 */
const indexes = new WeakMap<RefreshRec[], { indexed: number; groups: Map<string, RefreshRec[]>; hooked: RefreshRec[] }>();
function refreshIndex(ctx: Ctx): { groups: Map<string, RefreshRec[]>; hooked: RefreshRec[] } {
  const all = ctx.state.refreshes;
  let index = indexes.get(all);
  if (!index) indexes.set(all, (index = { indexed: 0, groups: new Map(), hooked: [] }));
  for (; index.indexed < all.length; index.indexed++) {
    const r = all[index.indexed] as RefreshRec;
    const list = index.groups.get(r.asgName);
    if (list) list.push(r);
    else index.groups.set(r.asgName, [r]);
    if (r.hooked === true) index.hooked.push(r);
  }
  return index;
}

export function refreshesOf(ctx: Ctx, asgName: string): readonly RefreshRec[] {
  return refreshIndex(ctx).groups.get(asgName) ?? [];
}

/** The refreshes driven by our lifecycle hooks (lifecycle.ts), in the order of state.refreshes. */
export function hookedRefreshes(ctx: Ctx): readonly RefreshRec[] {
  return refreshIndex(ctx).hooked;
}

export function latestRefresh(ctx: Ctx, asgName: string): RefreshRec | undefined {
  return refreshesOf(ctx, asgName).at(-1);
}

/**
 * Which instances a refresh launched and when the old ones left, for account.instanceHistory(): a hooked refresh from its
 * replay (lifecycle.ts), a timeline refresh from its fixed batches (each new instance launches at its batch's start and
 * boots after durations.instanceBoot; the replaced one is terminated at the batch's end; rollback batches alike).
 */
export function refreshLaunches(ctx: Ctx, r: RefreshRec, now: number): { launches: LaunchView[]; oldEnds: Map<number, number> } {
  const asg = ctx.state.asgs[r.asgName];
  if (r.hooked === true && asg) {
    const sim = simulateHooked(ctx, r, asg, now);
    return { launches: sim.launches, oldEnds: new Map([...sim.oldEnds].map(([k, v]) => [k, v.terminatedAt])) };
  }
  const launches: LaunchView[] = [];
  const oldEnds = new Map<number, number>();
  if (r.external) return { launches, oldEnds };
  const limit = r.failure ? r.failure.afterBatches : r.batches.length;
  let p = 0;
  const current = new Map<number, LaunchView>();
  r.batches.forEach((b, j) => {
    const start = batchStart(r, j);
    const launched = j < limit && (r.cancelRequestedAt === undefined || start < r.cancelRequestedAt);
    for (const idx of b) {
      const bootMs = launchMs(ctx, r.desired.imageId, start, r.snapshots?.[p] === true).bootMs;
      const id = r.newIds[p++];
      if (!launched || id === undefined) continue;
      const l: LaunchView = { instanceId: id, cfg: r.desired, slot: idx, launchedAt: start, bootedAt: start + bootMs, inServiceAt: start + bootMs };
      launches.push(l);
      current.set(idx, l);
      oldEnds.set(idx, r.batchEnds[j] ?? start);
    }
  });
  if (r.failure && (r.preferences.AutoRollback === true || r.failure.at !== undefined)) {
    const failTime = r.failure.at ?? boundary(r, r.failure.afterBatches);
    const replacedIdx = r.batches.slice(0, r.failure.afterBatches).flat();
    let q = 0;
    chunk(replacedIdx, Math.max(1, r.batches[0]?.length ?? 1)).forEach((b, n) => {
      const start = failTime + n * r.batchMs;
      for (const idx of b) {
        const id = r.rollbackIds[q++];
        if (id === undefined) continue;
        const bootMs = launchMs(ctx, r.previous.imageId, start, false).bootMs;
        launches.push({ instanceId: id, cfg: r.previous, slot: idx, launchedAt: start, bootedAt: start + bootMs, inServiceAt: start + bootMs });
        const leaving = current.get(idx);
        if (leaving) leaving.terminatedAt = start + r.batchMs;
      }
    });
  }
  return { launches, oldEnds };
}
