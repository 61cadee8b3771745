import { loadConfig } from '../lib/pipeline-config.js';
import type { ExecutionInput } from '../lib/input.js';
import { logFor, logger } from '../lib/logger.js';
import type { AccountFacts } from '../lib/plan/account.js';
import { readFleet, type AccessQuestions } from '../lib/plan/fleet.js';
import { settings } from '../lib/settings.js';
import { fleetKey, putJson } from '../lib/store/run-store.js';

interface Event {
  input: ExecutionInput;
  executionName: string;
  /** What ReadAccount read just before. */
  account: AccountFacts;
}

/** Reads the node groups, their launch templates and AMIs for the plan; writes them to the run-state bucket (nothing else) and returns their key and what CheckAccess must read. */
export const handler = async (event: Event): Promise<AccessQuestions & { factsKey: string }> => {
  logFor({ executionId: event.executionName });
  const { parameterPrefix, stage, region, runStateBucket } = settings('parameterPrefix', 'stage', 'region', 'runStateBucket');
  const { facts, questions } = await readFleet(event.input, loadConfig(), event.account, { parameterPrefix, stage, region });
  const factsKey = fleetKey(event.executionName);
  await putJson(runStateBucket, factsKey, facts);
  logger.info('fleet read', { groups: facts.variants.reduce((n, v) => n + v.groups.length, 0), profiles: questions.profiles.length, clusters: questions.clusters.length });
  return { factsKey, ...questions };
};
