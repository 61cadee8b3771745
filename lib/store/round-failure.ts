import { mergeRoundFailure, roundFailure, waveFailure, type CaughtError } from '../notify/cause.js';
import { failureKey, getText, type StoreRef } from './run-store.js';

/**
 * The error a failed round was caught with, as the failure report reads it: a RoundFailed Cause names the round's
 * waves and which failed, and each failed wave left its report in the run-state bucket (failure-<i>.json); they become
 * one wave report. Reports that are plain text (too large for one) stay plain text, joined: the e-mail then reads every
 * group's standing from AWS. Any other error is returned as it is.
 */
export async function withRoundReports(error: CaughtError, store: StoreRef): Promise<CaughtError> {
  const round = roundFailure(error);
  if (!round) return error;
  const failed = round.failedRound.filter((_, k) => round.outcomes[k] === 'failed');
  const texts = await Promise.all(failed.map((i) => getText(store.bucket, failureKey(store, i))));
  const merged = mergeRoundFailure(round, texts.map((Cause) => waveFailure({ Error: error.Error, Cause })));
  return { Error: error.Error, Cause: merged ? JSON.stringify(merged) : texts.join('\n') };
}
