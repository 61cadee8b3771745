import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { autoScaling } from '../aws/auto-scaling.js';
import { isRetryable, withRetries } from '../aws/retry.js';
import type { Rollout } from '../config.js';
import { logger } from '../logger.js';
import { chunk } from '../util.js';
import { noCanaryRan } from './canary.js';
import { capWaitAtDeadline, isPastDeadline, overdue, startBySeconds, UNKNOWN_GROUP_SIZE, unreadPollWaitSeconds, waveDeadlineSeconds, type WaveClock, type WaveTimes } from './deadline.js';
import type { WaveProgress } from './refresh.js';
import { admissionRounds } from './admission.js';

/** What the guard needs of a wave check: the wave so far, and which of its groups are canaries. */
export interface GuardedWave {
  progress: WaveProgress & Partial<WaveClock>;
  index: number;
  variant: { waves: { asgName: string; canary: boolean }[][] };
}

export interface GuardedCheck {
  progress: WaveProgress;
  clock: WaveClock;
  /** Why the wave failed when no group's refresh says so (deadline, no canary). */
  cause: string | null;
}

/**
 * One check of a wave, guarded: a poll that cannot read AWS (throttling or 5xx beyond the
 * SDK retries) is not a failed wave. The wave keeps what it last knew, waits longer, and
 * polls again, up to its deadline; past the deadline it fails with the normal report. Any
 * other error (access denied, a bug) still fails the step, into the variant's failure path.
 */
export async function guardedCheck(req: GuardedWave, rollout: Rollout, poll: (times: WaveTimes) => Promise<WaveProgress>): Promise<GuardedCheck> {
  const now = Date.now();
  const times = req.progress.deadline ? { deadline: req.progress.deadline, ...(req.progress.startBy && { startBy: req.progress.startBy }) } : await timesOf(req.progress, rollout);
  const { deadline } = times;
  let progress: WaveProgress;
  let clock: WaveClock;
  try {
    progress = await poll(times);
    clock = { ...times, readAt: new Date(now).toISOString(), unreadPolls: 0, pollError: null };
  } catch (error) {
    if (!isRetryable(error)) throw error;
    const unreadPolls = (req.progress.unreadPolls ?? 0) + 1;
    const pollError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger.warn('wave check could not read AWS; polling again later', { unreadPolls, pollError });
    clock = { ...times, readAt: req.progress.readAt ?? req.progress.startedAt, unreadPolls, pollError };
    progress = { ...req.progress, status: 'InProgress', waitSeconds: unreadPollWaitSeconds(unreadPolls, now, deadline) };
  }
  if (progress.status === 'InProgress' && isPastDeadline(now, deadline)) {
    const late = overdue(progress, clock);
    logger.error('wave passed its deadline', { deadline, cause: late.cause });
    return { progress: { ...progress, status: 'Failed', groups: late.groups, waitSeconds: 0 }, clock, cause: late.cause };
  }
  if (progress.status === 'InProgress') return { progress: { ...progress, waitSeconds: capWaitAtDeadline(progress.waitSeconds, now, deadline) }, clock, cause: null };
  const canaries = (req.variant.waves[req.index] ?? []).filter((g) => g.canary).map((g) => g.asgName);
  const noCanary = progress.status === 'Successful' ? noCanaryRan(canaries, progress.groups) : null;
  if (noCanary) return { progress: { ...progress, status: 'Failed' }, clock, cause: noCanary };
  return { progress, clock, cause: null };
}

/** The deadline from the wave's start, sized by its groups (read once, on the first check; unknown sizes count as large), and with a limit until when queued groups start. */
async function timesOf(wave: WaveProgress, rollout: Rollout): Promise<WaveTimes> {
  const names = wave.groups.map((g) => g.asgName);
  const sizes = rollout.waveTimeoutMinutes !== undefined ? [] : await groupSizes(names).catch((error: unknown) => {
    if (!isRetryable(error)) throw error;
    return names.map(() => UNKNOWN_GROUP_SIZE);
  });
  const rounds = admissionRounds(wave.groups, wave.limit);
  const seconds = waveDeadlineSeconds(sizes, rollout, rounds);
  const at = (s: number) => new Date(Date.parse(wave.startedAt) + s * 1000).toISOString();
  return { deadline: at(seconds), ...(wave.limit && { startBy: at(startBySeconds(seconds, rounds)) }) };
}

/** Each group's desired capacity: the instances its refresh replaces. */
async function groupSizes(asgNames: string[]): Promise<number[]> {
  const sizes: number[] = [];
  for (const batch of chunk(asgNames, 50)) {
    const out = await withRetries(() => autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: batch })));
    for (const asg of out.AutoScalingGroups ?? []) sizes.push(asg.DesiredCapacity ?? UNKNOWN_GROUP_SIZE);
  }
  return sizes.length ? sizes : asgNames.map(() => UNKNOWN_GROUP_SIZE);
}
