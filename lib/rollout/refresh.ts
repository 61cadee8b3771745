import {
  DescribeInstanceRefreshesCommand,
  StartInstanceRefreshCommand,
  type DesiredConfiguration,
  type InstanceRefreshStatus,
  type RefreshPreferences,
} from '@aws-sdk/client-auto-scaling';
import { autoScaling } from '../aws/auto-scaling.js';
import { isRetryable, withRetries } from '../aws/retry.js';
import type { Rollout } from '../config.js';
import { logger } from '../logger.js';
import { secondsFromProgress } from '../polling.js';
import { mapLimit } from '../util.js';
import type { ClusterAccess } from '../eks/cluster.js';
import { pollNodegroupUpdate, startNodegroupUpdate, updateStatus } from './managed.js';
import { ACTIVE_REFRESH, latestRefresh } from './standing.js';
import { hookPlanOf, putGroupHooks, removeGroupHooks, type WaveHooks } from './hooks.js';
import type { WaveTarget } from './launch-templates.js';
import { BUSY_RETRY_SECONDS } from './deadline.js';
import { admissible, stopReason, type WaveLimit } from './admission.js';
/**
 * The wait while no refreshing group shows progress yet (PercentageComplete 0). Auto Scaling adds an instance to the
 * percentage once its replacement is healthy and its warm-up has passed (API Reference, InstanceRefresh), so a refresh
 * stays at 0 through its first batch. A surge group (the plan gave it a MaxHealthyPercentage: the group in one or two
 * batches) is most of its refresh in that batch, and a surge wave has no first batch to hand over at: it is checked
 * every two minutes then, so it is seen done at most two minutes late. Otherwise the wait is the instance warm-up (at
 * least two minutes; five without rollout.instanceWarmupSeconds).
 */
const SURGE_NO_PROGRESS_POLL_SECONDS = 120;
const noProgressPollSeconds = (active: readonly GroupProgress[], rollout: Rollout) =>
  active.some((g) => g.maxHealthyPercentage !== undefined) ? SURGE_NO_PROGRESS_POLL_SECONDS : Math.max(120, rollout.instanceWarmupSeconds ?? 300);

/**
 * Where one node group stands in its wave.
 * busy: someone else's refresh runs on the ASG; we retry the start on later polls
 * and never cancel theirs. current: already on the AMI, nothing to do.
 * queued: waits for room in the wave's limit (admission.ts); a later poll starts it.
 * partial: the refresh ended Successful but some instances (scale-in protected, Standby) still run the old version.
 */
export type GroupState = 'refreshing' | 'busy' | 'queued' | 'current' | 'patched' | 'partial' | 'rolledBack' | 'failed' | 'skipped';

export interface GroupProgress extends WaveTarget {
  state: GroupState;
  refreshId: string | null;
  status: string | null;
  percent: number;
  reason: string | null;
  busyAttempts: number;
  /** Instances still on the old launch template version after the refresh ended (partial only). */
  oldInstances?: string[];
  /** patched or partial: no instance of it is in service on the new version (none at all, or all protected or in Standby), so it proves nothing of the new AMI. */
  noneMoved?: boolean;
  /** Started by the wave before, which handed over at its first batch (hand-over.ts): this wave passes only once it finished. */
  carried?: boolean;
  /** busy only: when the start is tried again (BUSY_RETRY_SECONDS after the last try, however often the wave is checked). */
  retryAt?: string;
}

export interface WaveProgress {
  status: 'InProgress' | 'Successful' | 'Failed';
  startedAt: string;
  groups: GroupProgress[];
  waitSeconds: number;
  percent: number;
  /** Endpoint and CA of the clusters of the wave's hooked groups, read once at the start: the wave check talks to them without DescribeCluster. */
  clusters?: Record<string, ClusterAccess>;
  /** A wave handed over to by proof (hand-over.ts): what its groups, carried ones included, may hold at once; the rest wait queued. */
  limit?: WaveLimit;
  /** Why the wave starts nothing more (one of its groups went wrong, or too little of its deadline is left): its queued groups never start, and it fails once nothing runs. */
  stopped?: string;
}

/** Safe defaults: explicit version + AutoRollback (so a failure returns the group to its old version), SkipMatching, explicit handling of protected and standby instances (the default Wait fails the refresh after an hour). */
export function refreshPreferences(r: Rollout, surgeMaxHealthy?: number): RefreshPreferences {
  return {
    MinHealthyPercentage: r.minHealthyPercentage,
    // rollout.surge: the plan gave the group a higher MaxHealthyPercentage that its share of the extra-instance budget allows.
    MaxHealthyPercentage: surgeMaxHealthy ?? r.maxHealthyPercentage,
    // Left out unless configured: AWS then uses the group's DefaultInstanceWarmup (StartInstanceRefresh, RefreshPreferences).
    ...(r.instanceWarmupSeconds !== undefined && { InstanceWarmup: r.instanceWarmupSeconds }),
    SkipMatching: true,
    AutoRollback: true,
    ...(r.checkpointPercentages?.length && { CheckpointPercentages: r.checkpointPercentages, CheckpointDelay: r.checkpointDelaySeconds ?? 3600 }),
    ...(r.bakeTimeSeconds !== undefined && { BakeTime: r.bakeTimeSeconds }),
    ...(r.alarms.length && { AlarmSpecification: { Alarms: r.alarms } }),
    ScaleInProtectedInstances: r.scaleInProtectedInstances,
    StandbyInstances: r.standbyInstances,
  };
}

/** Terminal statuses and what they mean for the group. */
export function groupStateFor(status: InstanceRefreshStatus | string | undefined): GroupState {
  switch (status) {
    case 'Successful':
      return 'patched';
    case 'RollbackSuccessful':
      return 'rolledBack';
    case 'Failed':
    case 'Cancelled':
    case 'RollbackFailed':
      return 'failed';
    default:
      return 'refreshing';
  }
}

/**
 * The wave is done when no group is refreshing or waiting for someone else's refresh; it failed if any group failed or
 * rolled back (its queued groups then never start), and is in progress while groups still wait for room, unless the
 * wave was stopped: then they never start and it failed.
 */
export function waveStatus(groups: readonly GroupProgress[], stopped?: string): WaveProgress['status'] {
  if (groups.some((g) => g.state === 'refreshing' || g.state === 'busy')) return 'InProgress';
  if (groups.some((g) => g.state === 'failed' || g.state === 'rolledBack')) return 'Failed';
  if (!groups.some((g) => g.state === 'queued')) return 'Successful';
  return stopped ? 'Failed' : 'InProgress';
}

/**
 * Starts the wave's refreshes. With a limit (a wave handed over to by proof) only the groups that fit it beside
 * `alongside`, the groups the wave before left still refreshing, start now; the others wait queued for startWaiting.
 * Those carried groups went unwatched since their wave passed, so they are looked at first: when one failed, rolled back
 * or is rolling back, nothing starts (the wave keeps their last checked states, so that its first check judges them as
 * it judges every group, and then fails).
 */
export async function startWave(targets: WaveTarget[], rollout: Rollout, hooks?: WaveHooks, limit?: WaveLimit, alongside: readonly GroupProgress[] = []): Promise<WaveProgress> {
  const stopped = stopReason(await mapLimit(alongside, 8, lookAt)) ?? undefined;
  const planned = targets.map((t) => initial(t, stopped));
  const now = stopped ? new Set<string>() : limit ? admissible([...alongside, ...planned], limit) : new Set(planned.filter((g) => g.state === 'queued').map((g) => g.asgName));
  const groups = await mapLimit(planned, 8, (g) => (now.has(g.asgName) ? retryStart({ ...g, state: 'busy' }, rollout, hooks) : Promise.resolve(g)));
  return summarize(new Date().toISOString(), groups, rollout, { clusters: await clustersOf(targets, hooks), limit, stopped });
}

/**
 * A carried group's refresh as Auto Scaling has it now, or a managed node group's update as EKS has it: read only, to
 * decide whether anything may start (the wave's first check judges the group itself, and for a failed managed update
 * starts the update back).
 */
function lookAt(g: GroupProgress): Promise<GroupProgress> {
  if (g.state !== 'refreshing' || !g.refreshId) return Promise.resolve(g);
  return g.managed ? lookAtUpdate(g, g.managed) : describe(g);
}

/** EKS's update statuses (InProgress, Successful, Failed, Cancelled) read as a refresh's. */
async function lookAtUpdate(g: GroupProgress, m: NonNullable<GroupProgress['managed']>): Promise<GroupProgress> {
  const status = await updateStatus(m, g.refreshId as string);
  return { ...g, state: groupStateFor(status), status };
}

/** The access of every cluster whose groups get our hooks (one DescribeCluster each, cached for the Lambda's life). */
async function clustersOf(targets: WaveTarget[], hooks: WaveHooks | undefined): Promise<Record<string, ClusterAccess> | undefined> {
  const names = [...new Set(targets.flatMap((t) => (hookPlanOf(t) && t.kubernetes ? [t.kubernetes.cluster] : [])))];
  if (!hooks?.access || names.length === 0) return undefined;
  const access = hooks.access;
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await access(n)] as const)));
}

/** One poll of the whole wave: a single Lambda call however many groups, to keep state transitions per wave constant. */
export async function pollWave(wave: WaveProgress, rollout: Rollout): Promise<WaveProgress> {
  const groups = await mapLimit(wave.groups, 8, (g) => {
    if (g.state !== 'refreshing' || !g.refreshId) return Promise.resolve(g);
    return g.managed ? pollNodegroupUpdate(g, g.managed, rollout) : describe(g);
  });
  return summarize(wave.startedAt, groups, rollout, wave);
}

/**
 * After a check's verdicts (wave's poll, instances, cluster): the groups waiting to start. Busy ones (someone else's
 * refresh was in the way) try again; queued ones start as admission.ts allows. Nothing starts once the wave is
 * stopped (`stop`, or stopReason of its groups): its busy groups then count as never started (queued, with the
 * reason) and the wave fails once nothing runs. A start that cannot reach AWS leaves its group waiting for the next
 * check, and the starts that went through stay recorded.
 */
export async function startWaiting(wave: WaveProgress, rollout: Rollout, hooks?: WaveHooks, stop?: string | null): Promise<WaveProgress> {
  if (!wave.groups.some((g) => g.state === 'busy' || g.state === 'queued')) return wave;
  const stopped = wave.stopped ?? stop ?? stopReason(wave.groups) ?? undefined;
  if (stopped) {
    const groups = wave.groups.map((g): GroupProgress => (g.state === 'busy' || g.state === 'queued' ? { ...g, state: 'queued', reason: stopped } : g));
    return summarize(wave.startedAt, groups, rollout, { ...wave, stopped });
  }
  const now = admissible(wave.groups, wave.limit);
  if (now.size) logger.info(`${now.size} queued group(s) have room in the wave's limit: starting them`);
  const groups = await mapLimit(wave.groups, 8, (g) => (g.state === 'busy' || now.has(g.asgName) ? startOrWait(g, rollout, hooks) : Promise.resolve(g)));
  return summarize(wave.startedAt, groups, rollout, wave);
}

/** A start that AWS could not answer (throttling, a server fault past the retries) is tried again on the next check. */
async function startOrWait(g: GroupProgress, rollout: Rollout, hooks?: WaveHooks): Promise<GroupProgress> {
  try {
    return await retryStart({ ...g, state: 'busy' }, rollout, hooks);
  } catch (error) {
    if (!isRetryable(error)) throw error;
    logger.warn('could not start the group on this check; trying again on the next', { asgName: g.asgName, error: error instanceof Error ? error.name : String(error) });
    return g;
  }
}

/** A group as its wave starts: current (nothing to do), or queued (to start now, when room in the wave's limit frees, or never: the wave was stopped). */
function initial(t: WaveTarget, stopped: string | undefined): GroupProgress {
  const state = t.toVersion === null ? 'current' : 'queued';
  return { ...t, state, refreshId: null, status: null, percent: t.toVersion === null ? 100 : 0, reason: state === 'queued' && stopped ? stopped : null, busyAttempts: 0 };
}

/** rollout.busyRetries counts tries BUSY_RETRY_SECONDS apart (the wave's deadline allows that much), not checks of the wave. */
async function retryStart(g: GroupProgress, rollout: Rollout, hooks?: WaveHooks): Promise<GroupProgress> {
  if (g.retryAt !== undefined && Date.now() < Date.parse(g.retryAt)) return g;
  const { retryAt: _, ...next } = await tryStart(g, rollout, hooks);
  return next.state === 'busy' ? { ...next, retryAt: new Date(Date.now() + BUSY_RETRY_SECONDS * 1000).toISOString() } : next;
}

async function tryStart(g: GroupProgress, rollout: Rollout, hooks?: WaveHooks): Promise<GroupProgress> {
  if (g.state !== 'busy') return g;
  if (g.managed) return startNodegroupUpdate(g, g.managed, rollout);
  // Our hooks go on right before the start, so the refresh's first launch already meets them, and come off again when
  // the start does not happen: a scale-out outside our refresh never meets them.
  const plan = hooks && hookPlanOf(g);
  if (plan && hooks) {
    // Never put (and then delete) our hooks under someone else's running refresh: DeleteLifecycleHook abandons the
    // launches waiting on them (API Reference, DeleteLifecycleHook). Look first; only a start that may go through gets them.
    const running = await activeRefresh(g);
    if (running?.ours) return { ...g, state: 'refreshing', refreshId: running.id, status: 'InProgress', reason: null };
    if (running) return waitForOther(g, rollout);
    try {
      await putGroupHooks(g, plan, hooks);
    } catch (error) {
      return notStarted(g, error);
    }
  }
  const withoutHooks = async (next: GroupProgress): Promise<GroupProgress> => {
    if (plan && hooks) await removeGroupHooks(g, hooks.stage);
    return next;
  };
  try {
    const id = await start(g, refreshPreferences(rollout, g.maxHealthyPercentage)).catch(async (error: unknown) => {
      // An ASG on $Latest/$Default cannot roll back (AWS refuses AutoRollback with IrreversibleInstanceRefresh).
      // The plan refused such groups unless the operator accepted exactly this with allowUnpinnedVersions.
      if (!rollout.allowUnpinnedVersions || !(error instanceof Error) || !error.name.startsWith('IrreversibleInstanceRefresh')) throw error;
      logger.warn('ASG is not pinned to a version number: refreshing without automatic rollback', { asgName: g.asgName });
      return start(g, { ...refreshPreferences(rollout, g.maxHealthyPercentage), AutoRollback: false });
    });
    logger.info(`instance refresh ${id} started: launch template ${g.launchTemplateId} version ${g.fromVersion} -> ${g.toVersion}`, { asgName: g.asgName });
    return { ...g, state: 'refreshing', refreshId: id ?? null, status: 'Pending', reason: null };
  } catch (error) {
    if (isRetryable(error)) {
      // The retries gave up (throttling, a server fault, a lost answer), but an earlier attempt's answer may have been
      // lost after the start went through. Look before calling it not started: a started refresh must be watched.
      const own = await ownActiveRefresh(g);
      if (own) return { ...g, state: 'refreshing', refreshId: own, status: 'InProgress', reason: null };
    }
    if (!(error instanceof Error) || error.name !== 'InstanceRefreshInProgressFault') return withoutHooks(notStarted(g, error));
    const own = await ownActiveRefresh(g);
    if (own) return { ...g, state: 'refreshing', refreshId: own, status: 'InProgress', reason: null };
    // Someone started a refresh between our look and our start: our hooks come off again (a narrow window).
    return withoutHooks(waitForOther(g, rollout));
  }
}

/** Someone else's refresh runs on the group: wait for it (retried on later polls), then skip the group. */
function waitForOther(g: GroupProgress, rollout: Rollout): GroupProgress {
  const busyAttempts = g.busyAttempts + 1;
  if (busyAttempts > rollout.busyRetries) {
    logger.warn('another instance refresh keeps running; group skipped', { asgName: g.asgName });
    return { ...g, state: 'skipped', busyAttempts, reason: `another instance refresh was still running after ${busyAttempts} attempts; left on version ${g.fromVersion}` };
  }
  logger.info('another instance refresh is running; will retry', { asgName: g.asgName, busyAttempts });
  return { ...g, busyAttempts, reason: 'waiting for another instance refresh on this group to finish' };
}

/** Whether a refresh runs on the group now, and whose (ours: its desired version is ours). */
async function activeRefresh(g: GroupProgress): Promise<{ ours: boolean; id: string | null } | null> {
  const r = await latestRefresh(g.asgName);
  if (!r || !ACTIVE_REFRESH.has(r.status)) return null;
  return { ours: r.desired === `${g.launchTemplateId}:${g.toVersion}`, id: r.id };
}

/**
 * Any other refusal (ValidationError, a bad template version) fails this group only, never
 * the step: the other starts of the wave have gone through, and a failed step would leave
 * their refreshes unwatched and the failure e-mail calling them "not moved". The wave
 * polls them to their end and then fails with a report that names this group.
 */
function notStarted(g: GroupProgress, error: unknown): GroupProgress {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  logger.error('instance refresh could not be started', { asgName: g.asgName, reason });
  return { ...g, state: 'failed', refreshId: null, status: 'not started', reason };
}

async function start(g: GroupProgress, preferences: RefreshPreferences): Promise<string | undefined> {
  const out = await withRetries(() =>
    autoScaling.send(
      new StartInstanceRefreshCommand({
        AutoScalingGroupName: g.asgName,
        Strategy: 'Rolling',
        DesiredConfiguration: desiredConfiguration(g),
        Preferences: preferences,
      }),
    ),
    { operation: 'StartInstanceRefresh' },
  );
  return out.InstanceRefreshId;
}

/**
 * The explicit new version (AutoRollback needs one). A mixed-instances group gets its whole
 * current MixedInstancesPolicy back with only the version changed: Auto Scaling resets every
 * policy parameter a DesiredConfiguration leaves out (Overrides, InstancesDistribution) to its
 * default and keeps that after the refresh (user guide, instance refresh with a desired configuration).
 * Overrides with their own spec on the group's template move to the new version with it.
 */
export function desiredConfiguration(g: WaveTarget): DesiredConfiguration {
  const spec = { LaunchTemplateId: g.launchTemplateId, Version: g.toVersion as string };
  if (!g.mixed) return { LaunchTemplate: spec };
  const policy = g.mixedPolicy ?? {};
  const overrides = policy.LaunchTemplate?.Overrides?.map((o) =>
    o.LaunchTemplateSpecification && o.LaunchTemplateSpecification.LaunchTemplateId === g.launchTemplateId ? { ...o, LaunchTemplateSpecification: spec } : o,
  );
  return {
    MixedInstancesPolicy: {
      ...policy,
      LaunchTemplate: { LaunchTemplateSpecification: spec, ...(overrides && { Overrides: overrides }) },
    },
  };
}

/**
 * StartInstanceRefresh takes no client token: when this step is retried after a start
 * went through, the "someone else's refresh" in the way is our own. Adopt it rather
 * than wait for it and refresh the group twice.
 */
async function ownActiveRefresh(g: GroupProgress): Promise<string | null> {
  const r = await latestRefresh(g.asgName);
  // A refresh of ours being cancelled is not adopted: it will not patch the group.
  return r && r.status !== 'Cancelling' && ACTIVE_REFRESH.has(r.status) && r.desired === `${g.launchTemplateId}:${g.toVersion}` ? r.id : null;
}

async function describe(g: GroupProgress): Promise<GroupProgress> {
  const out = await withRetries(() =>
    autoScaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: g.asgName, InstanceRefreshIds: [g.refreshId as string] })),
    { operation: 'DescribeInstanceRefreshes' },
  );
  const refresh = out.InstanceRefreshes?.[0];
  // A record AWS no longer returns (the group was deleted, or the record aged out) has no outcome: never "still refreshing".
  if (!refresh) return { ...g, state: 'failed', status: 'missing', reason: `instance refresh ${g.refreshId} is no longer returned by DescribeInstanceRefreshes (group deleted or record expired): its outcome is unknown` };
  const state = groupStateFor(refresh.Status);
  if (state !== g.state) logger.info(`instance refresh ${g.refreshId} ${refresh?.Status}`, { asgName: g.asgName, reason: refresh?.StatusReason });
  return { ...g, state, status: refresh?.Status ?? null, percent: refresh?.PercentageComplete ?? g.percent, reason: refresh?.StatusReason ?? null };
}

export function summarize(startedAt: string, groups: GroupProgress[], rollout: Rollout, { clusters, limit, stopped }: Pick<WaveProgress, 'clusters' | 'limit' | 'stopped'> = {}): WaveProgress {
  const status = waveStatus(groups, stopped);
  const active = groups.filter((g) => g.state === 'refreshing');
  const percent = groups.length ? Math.round(groups.reduce((s, g) => s + (g.state === 'refreshing' || g.state === 'queued' ? g.percent : 100), 0) / groups.length) : 100;
  // EKS reports no percentage for a managed node group's update: the groups that do set the pace.
  const reporting = active.filter((g) => !g.managed);
  const slowest = reporting.length ? Math.min(...reporting.map((g) => g.percent)) : 0;
  const elapsed = (Date.now() - Date.parse(startedAt)) / 1000;
  const waitSeconds =
    status !== 'InProgress'
      ? 0
      : active.length === 0
        ? BUSY_RETRY_SECONDS
        : secondsFromProgress({ elapsedSeconds: elapsed, percent: slowest, min: 60, max: 900, fallback: noProgressPollSeconds(reporting, rollout) });
  return { status, startedAt, groups, waitSeconds, percent, ...(clusters && { clusters }), ...(limit && { limit }), ...(stopped && { stopped }) };
}
