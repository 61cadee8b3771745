import { logFor } from '../lib/logger.js';
import type { Notice } from '../lib/notice.js';
import { describeVariantFailure, type VariantState } from '../lib/notify/failure.js';
import { settings } from '../lib/settings.js';

/** Builds the failure message of a variant: the stage, the cause, where every node group stands, what to do. */
export const handler = async (event: { state: VariantState; executionArn: string }): Promise<{ notice: Notice; cause: string }> => {
  logFor({ executionId: event.state.run.executionName, variant: event.state.variant.id });
  return describeVariantFailure(event.state, event.executionArn, settings('region').region);
};
