import { loadConfig } from '../lib/pipeline-config.js';
import type { ExecutionInput } from '../lib/input.js';
import { logFor, logger } from '../lib/logger.js';
import { runStarted } from '../lib/metrics/points.js';
import { publishMetrics } from '../lib/metrics/publish.js';
import type { AccessFacts } from '../lib/plan/access.js';
import type { AccountFacts } from '../lib/plan/account.js';
import type { FleetFacts } from '../lib/plan/fleet.js';
import { planRun } from '../lib/plan/plan.js';
import { storePlan, type StoredRunPlan } from '../lib/store/plan-store.js';
import { getJson } from '../lib/store/run-store.js';
import { settings } from '../lib/settings.js';

interface Event {
  input: ExecutionInput;
  executionName: string;
  executionArn: string;
  startTime: string;
  /** What ReadAccount, ReadFleet (the key of its facts in the run-state bucket) and CheckAccess read before. */
  account: AccountFacts;
  factsKey: string;
  access: AccessFacts;
}

/** Decides the whole run (variants, source AMIs, waves, other active runs, warnings) from what the three reads found. Writes nothing but the plan itself, to the run-state bucket (not in a dry run). */
export const handler = async (event: Event): Promise<StoredRunPlan> => {
  logFor({ executionId: event.executionName });
  const { parameterPrefix, stateMachineArn, region, stage, runStateBucket } = settings('parameterPrefix', 'stateMachineArn', 'region', 'stage', 'runStateBucket');
  const execution = { executionArn: event.executionArn, startTime: event.startTime, stateMachineArn, region };
  const fleet = await getJson<FleetFacts>(runStateBucket, event.factsKey);
  const plan = planRun(event.input, loadConfig(), { executionName: event.executionName, parameterPrefix, stage, execution }, event.account, fleet, event.access);
  publishMetrics(stage, runStarted(plan));
  logger.info('plan ready', { variants: plan.variants.map((v) => v.id), proceed: plan.proceed, warnings: plan.warnings.length });
  // The node groups go to the run-state bucket; the state keeps each variant's header (Step Functions' 256 KB).
  return storePlan(plan, runStateBucket);
};
