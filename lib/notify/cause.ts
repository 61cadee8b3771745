import type { GroupProgress } from '../rollout/refresh.js';

/** What a Catch hands over: `{ Error, Cause }`. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

export interface WaveFailure {
  waveIndex: number;
  groups: GroupProgress[];
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

/** A failed wave reports its groups as JSON in the Cause of the RolloutWaveFailed error. */
export function waveFailure(error: CaughtError): WaveFailure | undefined {
  if (error.Error !== 'RolloutWaveFailed' || !error.Cause) return undefined;
  const parsed = JSON.parse(error.Cause) as WaveFailure;
  return Array.isArray(parsed.groups) ? parsed : undefined;
}
