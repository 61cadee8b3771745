import { loadConfig } from '../lib/pipeline-config.js';
import { checkFastLaunch, type FastLaunchState } from '../lib/fastlaunch/enable.js';
import { logFor } from '../lib/logger.js';

/** One look at Fast Launch: waiting, enabled, or failed (a warning or FastLaunchFailedError, per config). */
export const handler = async (event: { fastLaunch: FastLaunchState; executionName: string; variantId: string }): Promise<FastLaunchState & { readyAt?: string }> => {
  logFor({ executionId: event.executionName, variant: event.variantId });
  const state = await checkFastLaunch(event.fastLaunch, loadConfig().fastLaunch);
  // When the rollout may start (RecordSuccess measures the rollout from here).
  return state.ready ? { ...state, readyAt: new Date().toISOString() } : state;
};
