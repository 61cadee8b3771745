import { loadConfig } from '../lib/config.js';
import type { ExecutionInput } from '../lib/input.js';
import { logFor, logger } from '../lib/logger.js';
import { planRun } from '../lib/plan/plan.js';
import type { RunPlan } from '../lib/plan/types.js';
import { settings } from '../lib/settings.js';

/** Reads the account and decides the whole run (variants, source AMIs, waves, warnings). Writes nothing. */
export const handler = async (event: { input: ExecutionInput; executionName: string }): Promise<RunPlan> => {
  logFor({ executionId: event.executionName });
  const { parameterPrefix } = settings('parameterPrefix');
  const plan = await planRun(event.input, loadConfig(), { executionName: event.executionName, parameterPrefix });
  logger.info('plan ready', { variants: plan.variants.map((v) => v.id), warnings: plan.warnings.length });
  return plan;
};
