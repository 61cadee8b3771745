import { logFor } from '../lib/logger.js';
import type { Notice } from '../lib/notice.js';
import { runSummary, type VariantResult } from '../lib/notify/summary.js';
import { settings } from '../lib/settings.js';

/** The closing message of a run: every variant's AMI and node groups by state, and whether the run succeeded. */
export const handler = async (event: { results: VariantResult[]; executionName: string; executionArn: string }): Promise<{ succeeded: boolean; notice: Notice }> => {
  logFor({ executionId: event.executionName });
  return runSummary(event.executionName, event.results, settings('region').region, event.executionArn);
};
