import type { GroupProgress } from '../rollout/refresh.js';

/** What a Catch hands over: `{ Error, Cause }`. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

/** How a wave report's `cause` begins when no refresh failed: the subject of the failure e-mail keys on these. */
export const NO_CANARY_RAN = 'no canary ran';
export const DEADLINE_PASSED = 'the wave passed its deadline';

/** What the failure message needs of a group: the Cause of a Fail state holds at most 32,768 characters. */
export type WaveFailureGroup = Pick<GroupProgress, 'asgName' | 'state' | 'fromVersion' | 'toVersion' | 'status' | 'reason' | 'oldInstances' | 'managed'>;

export interface WaveFailure {
  waveIndex: number;
  groups: WaveFailureGroup[];
  /** Why the wave failed when no group's refresh says so: its deadline passed, or no canary ran. */
  cause?: string;
}

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
