import type { GroupProgress } from '../rollout/refresh.js';

/** What a Catch hands over: `{ Error, Cause }`. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

/** How a wave report's `cause` begins when no refresh failed: the subject of the failure e-mail keys on these. */
export const NO_CANARY_RAN = 'no canary ran';
export const DEADLINE_PASSED = 'the wave passed its deadline';
/** A wave of a round of several stopped because another one went wrong (lib/rollout/check-wave.ts): not the round's cause. */
export const WENT_WRONG_BESIDE = 'a wave beside it in its round went wrong';

/** What the failure message needs of a group: a wave's report stays within CAUSE_BUDGET (lib/rollout/check-wave.ts). */
export type WaveFailureGroup = Pick<GroupProgress, 'asgName' | 'state' | 'fromVersion' | 'toVersion' | 'status' | 'reason' | 'oldInstances' | 'managed'>;

export interface WaveFailure {
  waveIndex: number;
  groups: WaveFailureGroup[];
  /** Why the wave failed when no group's refresh says so: its deadline passed, or no canary ran. */
  cause?: string;
  /**
   * The last wave of the failed wave's round when the round had several (the parts of one wave: lib/store/wave-budget.ts).
   * `groups` then holds every failed wave of the round; the round's other waves passed and stand like the waves before.
   */
  throughWave?: number;
}

/** The Cause of a failed round (patch-variant's RoundFailed): its waves and, in the same order, how each ended. */
export interface RoundFailure {
  failedRound: number[];
  outcomes: ('passed' | 'failed')[];
}

export function roundFailure(error: CaughtError): RoundFailure | undefined {
  if (error.Error !== 'RolloutWaveFailed' || !error.Cause) return undefined;
  try {
    const o = JSON.parse(error.Cause) as Partial<RoundFailure> | null;
    return o && Array.isArray(o.failedRound) && Array.isArray(o.outcomes) && o.outcomes.length === o.failedRound.length ? (o as RoundFailure) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One report for a failed round, from the reports its failed waves left (in round order): their groups, the first
 * one's index and cause. Undefined when any is no report (cut short, or plain text): the failure e-mail then reads
 * every group's standing from AWS, as for a single wave's.
 */
export function mergeRoundFailure(round: RoundFailure, reports: readonly (WaveFailure | undefined)[]): WaveFailure | undefined {
  const first = reports[0];
  if (!first || reports.some((r) => r === undefined)) return undefined;
  // The cause is the first wave's that went wrong on its own: a wave stopped by the one beside it only follows it.
  const cause = reports.map((r) => r?.cause).find((c) => c !== undefined && !c.includes(WENT_WRONG_BESIDE));
  const last = round.failedRound[round.failedRound.length - 1] as number;
  return {
    waveIndex: first.waveIndex,
    groups: reports.flatMap((r) => r?.groups ?? []),
    ...(cause !== undefined && { cause }),
    ...(round.failedRound.length > 1 && { throughWave: last }),
  };
}

/** The waves before the failed one, or before and beside it in its round: their groups' standing is read from AWS. */
export const wavesSettledBefore = (f: WaveFailure): number => (f.throughWave === undefined ? f.waveIndex : f.throughWave + 1);
/** The first wave the failure kept from starting. */
export const firstUntouchedWave = (f: WaveFailure): number => (f.throughWave ?? f.waveIndex) + 1;

/**
 * The human part of a Cause. Lambda errors arrive as JSON `{errorType, errorMessage, trace}`,
 * failed child executions as JSON with their own `Error`/`Cause`, Fail states as plain text.
 */
export function causeText(error: CaughtError): string {
  const cause = error.Cause ?? '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      if (typeof o.errorMessage === 'string') return o.errorMessage;
      if (typeof o.Cause === 'string') return causeText({ Error: String(o.Error ?? ''), Cause: o.Cause });
    }
  } catch {
    /* plain text */
  }
  return cause || error.Error;
}

/**
 * A failed wave reports its groups as JSON in the Cause of the RolloutWaveFailed error.
 * A Cause that is no such report (cut short, or the plain-text fallback of a huge wave)
 * gives undefined: the failure report then reads every group's standing from AWS
 * rather than fail and lose the e-mail.
 */
export function waveFailure(error: CaughtError): WaveFailure | undefined {
  if (error.Error !== 'RolloutWaveFailed' || !error.Cause) return undefined;
  try {
    const parsed: unknown = JSON.parse(error.Cause);
    if (!parsed || typeof parsed !== 'object') return undefined;
    const o = parsed as Partial<WaveFailure>;
    return typeof o.waveIndex === 'number' && Array.isArray(o.groups) ? (o as WaveFailure) : undefined;
  } catch {
    return undefined;
  }
}
