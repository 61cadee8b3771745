import { loadConfig } from '../lib/pipeline-config.js';
import { checkFastLaunch, type FastLaunchState } from '../lib/fastlaunch/enable.js';
import { logFor } from '../lib/logger.js';

/** One look at Fast Launch: waiting, enabled, or failed (a warning or FastLaunchFailedError, per config). */
export const handler = async (event: { fastLaunch: FastLaunchState; executionName: string; variantId: string }): Promise<FastLaunchState> => {
  logFor({ executionId: event.executionName, variant: event.variantId });
  return checkFastLaunch(event.fastLaunch, loadConfig().fastLaunch);
};
