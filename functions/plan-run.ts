import { loadConfig } from '../lib/pipeline-config.js';
import type { ExecutionInput } from '../lib/input.js';
import { logFor, logger } from '../lib/logger.js';
import type { AccountFacts } from '../lib/plan/account.js';
import { runStarted } from '../lib/metrics/points.js';
import { publishMetrics } from '../lib/metrics/publish.js';
import { planRun } from '../lib/plan/plan.js';
import { storePlan, type StoredRunPlan } from '../lib/store/plan-store.js';
import { settings } from '../lib/settings.js';

interface Event {
  input: ExecutionInput;
  executionName: string;
  executionArn: string;
  startTime: string;
  /** What ReadAccount read just before. */
  account: AccountFacts;
}

/** Reads the fleet and decides the whole run (variants, source AMIs, waves, other active runs, warnings). Writes nothing but the plan itself, to the run-state bucket (not in a dry run). */
export const handler = async (event: Event): Promise<StoredRunPlan> => {
  logFor({ executionId: event.executionName });
  const { parameterPrefix, stateMachineArn, region, stage, runStateBucket } = settings('parameterPrefix', 'stateMachineArn', 'region', 'stage', 'runStateBucket');
  const execution = { executionArn: event.executionArn, startTime: event.startTime, stateMachineArn, region };
  const plan = await planRun(event.input, loadConfig(), { executionName: event.executionName, parameterPrefix, stage, execution }, event.account);
  publishMetrics(stage, runStarted(plan));
  logger.info('plan ready', { variants: plan.variants.map((v) => v.id), proceed: plan.proceed, warnings: plan.warnings.length });
  // The node groups go to the run-state bucket; the state keeps each variant's header (Step Functions' 256 KB).
  return storePlan(plan, runStateBucket);
};
