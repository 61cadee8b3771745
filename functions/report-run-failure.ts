import { logFor } from '../lib/logger.js';
import { loadConfig } from '../lib/pipeline-config.js';
import type { Notice } from '../lib/notice.js';
import { runFailure, type RunState } from '../lib/notify/failure.js';
import { settings } from '../lib/settings.js';

/** Builds the failure message of a run stopped before any variant started (invalid input, failed plan) and the Cause naming each bad field. */
export const handler = async (event: { state: RunState; executionName: string; executionArn: string }): Promise<{ notice: Notice; cause: string }> => {
  logFor({ executionId: event.executionName });
  return runFailure(event.state, event.executionName, settings('region').region, event.executionArn, loadConfig());
};
