import type { Rollout } from '../config.js';
import { DEADLINE_PASSED } from '../notify/cause.js';
import type { GroupProgress, WaveProgress } from './refresh.js';

/**
 * Every wave ends with a report. A wave has a deadline, counted from its start: past it,
 * the wave fails with the normal failure report, naming each group and what the last
 * successful read of AWS said of it. Without one, a refresh stuck on Wait, or a check
 * that can no longer read AWS, would poll until Step Functions' own timeout ended the
 * execution with no report at all.
 *
 * Pure: everything here is arithmetic on the config, the wave and the clock.
 */

/** A Windows instance from launch to InService: boot, EKS bootstrap, kubelet join (Fast Launch shortens the boot; this is the slow case). */
export const LAUNCH_SECONDS = 15 * 60;
/** Auto Scaling's Pending phase before the first batch. */
const PENDING_SECONDS = 120;
/** `Wait` for scale-in protected or Standby instances fails the refresh after an hour (Auto Scaling user guide, instance refresh preferences). */
const WAIT_POLICY_SECONDS = 3600;
/** How far apart a wave's tries to start on a group blocked by someone else's refresh come (refresh.ts retryStart); also its wait when only such groups hold it up. */
export const BUSY_RETRY_SECONDS = 300;
/** Room for what nobody measured: a deadline that fails a healthy wave costs more than one that waits an hour longer. */
const SAFETY_FACTOR = 2;
const SLACK_SECONDS = 30 * 60;
const MIN_DEADLINE_SECONDS = 60 * 60;
/** Instances assumed for a group whose size could not be read (the deadline must exist even when AWS cannot be read). */
export const UNKNOWN_GROUP_SIZE = 100;

/**
 * Instances replaced per batch, as Auto Scaling sizes it: below MinHealthyPercentage it may
 * terminate first, above 100 % (MaxHealthyPercentage) it may launch first; at least one.
 */
export function batchSize(instances: number, r: Pick<Rollout, 'minHealthyPercentage' | 'maxHealthyPercentage'>): number {
  const max = r.maxHealthyPercentage ?? 100;
  return Math.max(1, instances - Math.ceil((instances * r.minHealthyPercentage) / 100) + Math.floor((instances * Math.max(0, max - 100)) / 100));
}

/**
 * EC2 API guide, "Request throttling": RunInstances launches 1,000 instances at once per account and Region, then 2
 * per second (resource tokens), and takes one request token per call from a small bucket of its own (taken here as 5,
 * then 2 per second: local/sim/ec2-limits.ts says why). Auto Scaling makes one call per batch launch of a group and
 * retries a throttled launch, so a large wave's refreshes run late, not failed. The deadline allows every instance and
 * every group's first batch of the wave one launch at those rates (other launches in the account take tokens too: the safety factor
 * covers them), so the account's own ceilings never become a failed wave.
 */
export const RUN_INSTANCES_BUCKET = { size: 1000, refillPerSecond: 2 } as const;
export const RUN_INSTANCES_REQUEST_BUCKET = { size: 5, refillPerSecond: 2 } as const;
export function launchRateSeconds(groupSizes: readonly number[]): number {
  const launches = groupSizes.reduce((n, s) => n + s, 0);
  // A group's later batches come a launch and warm-up apart (minutes of refill): its first batch is what meets the others'.
  const requests = groupSizes.length;
  return Math.max(
    Math.max(0, launches - RUN_INSTANCES_BUCKET.size) / RUN_INSTANCES_BUCKET.refillPerSecond,
    Math.max(0, requests - RUN_INSTANCES_REQUEST_BUCKET.size) / RUN_INSTANCES_REQUEST_BUCKET.refillPerSecond,
  );
}

/** Without rollout.instanceWarmupSeconds the group's own DefaultInstanceWarmup applies, which the wave does not read. */
const ASSUMED_WARMUP_SECONDS = 600;

/** How long one group's refresh should take: batches of launch + warm-up, checkpoint pauses, bake time. */
export function expectedRefreshSeconds(instances: number, r: Rollout): number {
  const batches = Math.ceil(Math.max(1, instances) / batchSize(Math.max(1, instances), r));
  const checkpoints = r.checkpointPercentages?.length ? r.checkpointPercentages.filter((p) => p < 100).length * (r.checkpointDelaySeconds ?? 3600) : 0;
  return PENDING_SECONDS + batches * (LAUNCH_SECONDS + (r.instanceWarmupSeconds ?? ASSUMED_WARMUP_SECONDS)) + checkpoints + (r.bakeTimeSeconds ?? 0);
}

/**
 * The wave's deadline in seconds from its start: rollout.waveTimeoutMinutes when set,
 * otherwise twice the slowest group's expected refresh (groups of a wave run side by
 * side) as many times over as its limit makes its groups wait for one another
 * (`admissionRounds`, admission.ts: 1 without one), plus the time a busy group may wait
 * for someone else's refresh, plus an hour when protected or Standby instances are set
 * to Wait, plus half an hour; at least an hour.
 */
export function waveDeadlineSeconds(groupSizes: readonly number[], r: Rollout, admissionRounds = 1): number {
  if (r.waveTimeoutMinutes !== undefined) return r.waveTimeoutMinutes * 60;
  const slowest = admissionRounds * Math.max(0, ...groupSizes.map((n) => expectedRefreshSeconds(n, r)));
  const waits = r.scaleInProtectedInstances === 'Wait' || r.standbyInstances === 'Wait' ? WAIT_POLICY_SECONDS : 0;
  const busy = r.busyRetries * BUSY_RETRY_SECONDS;
  return Math.max(MIN_DEADLINE_SECONDS, SAFETY_FACTOR * (slowest + waits + busy + launchRateSeconds(groupSizes)) + SLACK_SECONDS);
}

/**
 * How long after its start a wave with a limit still starts queued groups: until 1 / (rounds + 1) of its deadline is
 * left, which is at least one expected refresh (the deadline allows each of the `admissionRounds` two). A group
 * started later could not finish before the deadline, which would leave its refresh running unwatched.
 */
export const startBySeconds = (deadlineSeconds: number, admissionRounds: number): number => (deadlineSeconds * admissionRounds) / (admissionRounds + 1);

/** When the wave fails, and (a wave with a limit) until when it starts queued groups. */
export interface WaveTimes {
  /** ISO time past which the wave fails with its report. */
  deadline: string;
  /** ISO time past which its queued groups no longer start (startBySeconds). */
  startBy?: string;
}

/** What the state machine carries about the wave's clock and its reads of AWS ($.progress). */
export interface WaveClock extends WaveTimes {
  /** When AWS was last read successfully: the groups' states are as of then. */
  readAt: string;
  /** Checks in a row that could not read AWS (throttling, 5xx beyond the Lambda's retries). */
  unreadPolls: number;
  pollError: string | null;
}

/** After a check that could not read AWS: wait longer each time (1, 2, 4 … 15 minutes), never past the deadline. */
export function unreadPollWaitSeconds(unreadPolls: number, nowMs: number, deadline: string): number {
  const backoff = Math.min(900, 60 * 2 ** Math.max(0, unreadPolls - 1));
  return Math.max(1, Math.min(backoff, untilDeadline(nowMs, deadline)));
}

/** A regular wait, cut so that the check after the deadline comes on time, not one long wait later. */
export function capWaitAtDeadline(waitSeconds: number, nowMs: number, deadline: string): number {
  return Math.max(1, Math.min(waitSeconds, untilDeadline(nowMs, deadline)));
}

const untilDeadline = (nowMs: number, deadline: string) => Math.ceil((Date.parse(deadline) - nowMs) / 1000) + 1;

export const isPastDeadline = (nowMs: number, deadline: string): boolean => nowMs >= Date.parse(deadline);

/**
 * A wave still in progress at its deadline fails. Groups still refreshing (or waiting for
 * someone else's refresh) keep their state and get a reason saying where they stood at the
 * last read: their refreshes go on in Auto Scaling, no longer watched by this run.
 */
export function overdue(progress: WaveProgress, clock: WaveClock): { groups: GroupProgress[]; cause: string } {
  const lastRead = clock.unreadPolls ? ` (AWS could not be read for the last ${clock.unreadPolls} check(s): ${clock.pollError ?? 'unknown error'}; as of ${clock.readAt})` : '';
  const groups = progress.groups.map((g) =>
    g.state === 'refreshing' ? { ...g, reason: `${g.status ?? 'refreshing'} at ${g.percent}% when the wave passed its deadline${lastRead}; the refresh goes on in Auto Scaling, no longer watched by this run` }
    : g.state === 'busy' ? { ...g, reason: `still waiting for another refresh on this group when the wave passed its deadline${lastRead}; never started` }
    : g.state === 'queued' ? { ...g, reason: `still waiting for room in its wave when the wave passed its deadline${lastRead}; never started` }
    : g,
  );
  const open = progress.groups.filter((g) => g.state === 'refreshing' || g.state === 'busy' || g.state === 'queued').length;
  return { groups, cause: `${DEADLINE_PASSED} (${clock.deadline}) with ${open} node group(s) not finished${lastRead}` };
}
