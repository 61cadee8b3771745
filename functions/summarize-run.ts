import { logFor } from '../lib/logger.js';
import type { Notice } from '../lib/notice.js';
import { runSummary, type VariantResult } from '../lib/notify/summary.js';
import { settings } from '../lib/settings.js';

interface Event {
  results: VariantResult[];
  executionName: string;
  executionArn: string;
  startTime?: string;
}

/** The closing message of a run: timeline, every variant's AMI and node groups by state, and whether the run succeeded. */
export const handler = async (event: Event): Promise<{ succeeded: boolean; notice: Notice }> => {
  logFor({ executionId: event.executionName });
  const timing = event.startTime ? { startTime: event.startTime, endTime: new Date().toISOString() } : undefined;
  return runSummary(event.executionName, event.results, settings('region').region, event.executionArn, timing);
};
