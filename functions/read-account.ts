import { loadConfig } from '../lib/pipeline-config.js';
import type { ExecutionInput } from '../lib/input.js';
import { logFor, logger } from '../lib/logger.js';
import { readAccount, type AccountFacts } from '../lib/plan/account.js';
import { settings } from '../lib/settings.js';

interface Event {
  input: ExecutionInput;
  executionName: string;
  executionArn: string;
}

/** Reads what the plan needs of the account but not of the fleet (parameters, other runs, the vCPU quota and its use); writes nothing. */
export const handler = async (event: Event): Promise<AccountFacts> => {
  logFor({ executionId: event.executionName });
  const { parameterPrefix, stateMachineArn } = settings('parameterPrefix', 'stateMachineArn');
  const facts = await readAccount(event.input, loadConfig(), { parameterPrefix, execution: { executionArn: event.executionArn, stateMachineArn } });
  logger.info('account read', { parameters: Object.keys(facts.parameters).length, activeRuns: facts.activeRuns.length });
  return facts;
};
