import type { Rollout } from '../config.js';
import type { Notice } from '../notice.js';
import type { WaveFailure } from '../notify/cause.js';
import { waveNotice } from '../notify/messages.js';
import type { VariantRun } from '../plan/types.js';
import { pollWave, type WaveProgress } from './refresh.js';

/** A wave as the state machine carries it ($.progress): the notice when it succeeded, the failure report (the Fail state's Cause) when it did not. */
export interface WaveCheck extends WaveProgress {
  notice: Notice | null;
  failure: string | null;
}

export interface WaveCheckRequest extends VariantRun {
  progress: WaveProgress;
  index: number;
  executionArn: string;
  region: string;
}

export async function checkWave(req: WaveCheckRequest, rollout: Rollout): Promise<WaveCheck> {
  const progress = await pollWave(req.progress, rollout);
  const failure: WaveFailure = { waveIndex: req.index, groups: progress.groups };
  return {
    ...progress,
    notice: progress.status === 'Successful' ? waveNotice(req, req.index, progress) : null,
    failure: progress.status === 'Failed' ? JSON.stringify(failure) : null,
  };
}
