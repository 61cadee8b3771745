import type { Rollout } from '../config.js';
import type { Notice } from '../notice.js';
import { WENT_WRONG_BESIDE, type WaveFailure, type WaveFailureGroup } from '../notify/cause.js';
import { waveNotice } from '../notify/messages.js';
import type { VariantRun } from '../plan/types.js';
import type { WaveClock, WaveTimes } from './deadline.js';
import { judgeInCluster } from './cluster-outcome.js';
import { setDefaultVersions } from './default-version.js';
import type { WaveHooks } from './hooks.js';
import { pollWave, startWaiting, type GroupProgress, type WaveProgress } from './refresh.js';
import { instancesNotOn, liveSpecs, servesOn } from './standing.js';
import { guardedCheck } from './wave-guard.js';
import { passedGate, passedProof, splitAtGate, type Carry } from './hand-over.js';
import { carryTarget, roundsOf } from '../store/header.js';
import { wentWrong } from './admission.js';
import { logger } from '../logger.js';

/** What a finished wave leaves in the variant's state ($.waves[]): small, since a variant's state holds every wave (256 KB in all). */
export type WaveOutcomeGroup = Pick<GroupProgress, 'asgName' | 'state' | 'reason'>;

/** A wave as the state machine carries it ($.progress): the notice and the outcome when it succeeded, the failure report (the Fail state's Cause) when it did not. */
export interface WaveCheck extends WaveProgress, WaveClock {
  notice: Notice | null;
  outcome: WaveOutcomeGroup[] | null;
  /** Once the wave passed: what the wave it hands over to takes over (carry-<index>.json, saved by the state machine; VariantPlan.carryTo), empty unless it handed over. */
  carry: (Carry & { index: number }) | null;
  failure: string | null;
  /** In a round of several waves: what went wrong in this one, for the waves beside it (stop.json, written by the state machine), while it does. */
  stopRound: RoundStop | null;
  /** In a round of several waves: this one still has groups to start, so its next check first reads stop.json. */
  watchRound: boolean;
}

/** stop.json, the variant's: `{}` (written by the plan) while nothing went wrong in its current round. */
export interface RoundStop {
  wentWrong?: string;
}

export interface WaveCheckRequest extends VariantRun {
  progress: WaveProgress & Partial<WaveClock> & {
    /** stop.json as the state machine read it before this check (ReadTheRound), when it did. */
    round?: { stop: RoundStop };
  };
  index: number;
  executionArn: string;
  region: string;
}

export async function checkWave(req: WaveCheckRequest, rollout: Rollout, hooks?: WaveHooks): Promise<WaveCheck> {
  // Deadline, unreadable polls and the canary's verdict: wave-guard.ts.
  // Then the groups waiting to start, once every verdict of this check is in: a group judged failed frees no room.
  const guarded = await guardedCheck(req, rollout, async (times) => {
    const polled = await judgeInCluster(req.progress, await judgeFromInstances(req.progress, await pollWave(req.progress, rollout)), hooks);
    const judged = rollout.setDefaultVersion ? await setDefaultVersions(req.progress, polled) : polled;
    return startWaiting(judged, rollout, hooks, stoppedBeside(req.progress.round) ?? tooLateToStart(times));
  });
  const { clock, cause } = guarded;
  const { progress, carried } = handOver(req, guarded.progress);
  const passed = progress.status === 'Successful';
  const shared = sharesItsRound(req);
  const wrong = shared && !passed ? wentWrong(progress.groups) : null;
  return {
    ...progress,
    ...clock,
    notice: passed ? waveNotice(req, req.index, progress, carried) : null,
    carry: passed ? { index: carryTarget(req.variant, req.index), groups: carried, ...(carried.length && progress.clusters && { clusters: progress.clusters }) } : null,
    outcome: passed ? progress.groups.map(({ asgName, state, reason }) => ({ asgName, state, reason })) : null,
    failure: progress.status === 'Failed' ? failureCause(req.index, progress.groups, cause ?? stoppedCause(progress)) : null,
    stopRound: wrong ? { wentWrong: `wave ${req.index + 1}: ${wrong}` } : null,
    watchRound: shared && progress.status === 'InProgress' && !progress.stopped && progress.groups.some((g) => g.state === 'queued' || g.state === 'busy'),
  };
}

/**
 * The waves of one round run side by side, each in its own execution state (RollOutRound), and a group gone wrong in
 * one must stop the others starting theirs as it stops its own wave: on every check while one of its groups went
 * wrong, a wave tells its round (stop.json), and each wave beside it reads that before its first check and, while it
 * has groups to start, before each later one. What already refreshes is watched to its end, as in the wave that went
 * wrong. The word reaches the others within a wait of the wave that went wrong and one of their own.
 */
const sharesItsRound = (req: WaveCheckRequest): boolean => (roundsOf(req.variant).find((r) => r.includes(req.index))?.length ?? 1) > 1;

const stoppedBeside = (round: { stop: RoundStop } | undefined): string | null =>
  round?.stop.wentWrong ? `the wave starts nothing more: ${WENT_WRONG_BESIDE} (${round.stop.wentWrong})` : null;

/** A wave stopped with no group of its own failed or rolled back (its deadline came too close) says why. */
const stoppedCause = (p: WaveProgress): string | null => (p.stopped && !p.groups.some((g) => g.state === 'failed' || g.state === 'rolledBack') ? `queued groups not started: ${p.stopped}` : null);

const tooLateToStart = (times: WaveTimes): string | null =>
  times.startBy !== undefined && Date.now() >= Date.parse(times.startBy) ? `too close to the wave's deadline (${times.deadline}) to finish before it` : null;

/**
 * A wave that hands over (hand-over.ts) passes at its gate, at its first batch or by proof: its finished groups are its
 * outcome, the ones still refreshing go to the next wave.
 */
function handOver(req: WaveCheckRequest, progress: WaveProgress): { progress: WaveProgress; carried: GroupProgress[] } {
  if (progress.status !== 'InProgress' || !req.variant.handOver?.includes(req.index) || !passed(req, progress.groups)) return { progress, carried: [] };
  const { done, carried } = splitAtGate(progress.groups);
  logger.info(`wave passed its gate: ${carried.length} group(s) still refreshing go on with the next wave`, { done: done.length });
  return { progress: { ...progress, status: 'Successful', groups: done, waitSeconds: 0 }, carried };
}

function passed(req: WaveCheckRequest, groups: readonly GroupProgress[]): boolean {
  const proof = req.variant.proof?.[req.index];
  return proof === undefined ? passedGate(groups) : passedProof(groups, proof, req.variant.limits?.[carryTarget(req.variant, req.index)]);
}

/** The reason a partial group carries: every instance still on the old AMI, by id (the wave notice and summary print it); `all`: the group has no other. */
export function partialReason(oldInstances: readonly string[], all = false): string {
  return `refresh ended Successful but ${all ? `all ${oldInstances.length} of its` : oldInstances.length} instance(s) still run the old AMI (scale-in protected or in Standby, skipped under Ignore): ${oldInstances.join(', ')}`;
}

/**
 * A group is patched when every instance runs the new version, judged from the instances, not from the refresh status:
 * under Ignore, Auto Scaling ends the refresh Successful while protected and Standby instances keep the old AMI.
 * Only groups that became patched on this poll are read (one DescribeAutoScalingGroups per 50 groups).
 */
async function judgeFromInstances(before: WaveProgress, after: WaveProgress): Promise<WaveProgress> {
  const was = new Set(before.groups.filter((g) => g.state === 'patched').map((g) => g.asgName));
  // A managed node group is judged by EKS's update (its ASG runs EKS's copy of the template, not ours).
  const fresh = after.groups.filter((g) => g.state === 'patched' && g.toVersion !== null && !g.managed && !was.has(g.asgName));
  if (fresh.length === 0) return after;
  const live = await liveSpecs(fresh.map((g) => g.asgName));
  const groups = after.groups.map((g): GroupProgress => {
    if (!fresh.includes(g)) return g;
    const spec = live.get(g.asgName);
    const old = instancesNotOn(spec, g.launchTemplateId, g.toVersion as string);
    // No instance in service on the new version (none at all, or all protected or in Standby): the group proves nothing
    // of the AMI (hand-over.ts passedProof).
    const noneMoved = !servesOn(spec, g.launchTemplateId, g.toVersion as string);
    const judged = noneMoved ? { ...g, noneMoved } : g;
    return old.length ? { ...judged, state: 'partial', oldInstances: old, reason: partialReason(old, old.length === spec?.instances.length) } : judged;
  });
  return { ...after, groups };
}

/**
 * A failed wave's report rides in its state until SaveWaveFailure writes it to the run-state bucket (failure-<i>.json:
 * the round's Fail state names only its waves, so Step Functions' 32,768-character Cause does not hold it). It shares
 * the state with the wave's progress, up to two waves' worth when a wave of the round before handed over to it
 * (lib/store/wave-budget.ts): 64 KB in UTF-8 bytes leaves that room under 256 KB. Each group carries only what its line
 * in the failure e-mail needs, reasons shortened as far as the wave's size demands.
 */
export const CAUSE_BUDGET = 64_000;
const REASON_LENGTHS = [200, 150, 80, 0];

export function failureCause(waveIndex: number, groups: readonly GroupProgress[], cause: string | null = null): string {
  for (const max of REASON_LENGTHS) {
    const report: WaveFailure = { waveIndex, groups: groups.map((g) => compact(g, max)), ...(cause && { cause }) };
    const json = JSON.stringify(report);
    if (Buffer.byteLength(json) <= CAUSE_BUDGET) return json;
  }
  // Not a report: the failure e-mail then reads every group's standing from AWS.
  const broken = groups.filter((g) => g.state === 'failed' || g.state === 'rolledBack');
  return `wave ${waveIndex + 1} failed${cause ? ` (${cause})` : ''}: ${broken.length} of ${groups.length} node group(s) failed or rolled back: ${broken.map((g) => g.asgName).join(', ')}`.slice(0, CAUSE_BUDGET);
}

function compact(g: GroupProgress, reasonLength: number): WaveFailureGroup {
  const reason = g.reason === null || reasonLength === 0 ? null : g.reason.length > reasonLength ? `${g.reason.slice(0, reasonLength - 1)}…` : g.reason;
  // A partial group with no old instances was drained by force (its line says so); the ids themselves stay out of the report.
  const forced = g.state === 'partial' && g.oldInstances?.length === 0;
  return { asgName: g.asgName, state: g.state, fromVersion: g.fromVersion, toVersion: g.toVersion, status: g.status, reason, ...(forced && { oldInstances: [] }), ...(g.managed && { managed: g.managed }) };
}
