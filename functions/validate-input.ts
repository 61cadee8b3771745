import { loadConfig } from '../lib/pipeline-config.js';
import { parseExecutionInput, type ExecutionInput } from '../lib/input.js';
import { logFor, logger } from '../lib/logger.js';

/** Checks the execution input against its schema and the deployed config; throws InvalidInputError naming each bad field. */
export const handler = async (event: { input: unknown; executionName: string }): Promise<ExecutionInput> => {
  logFor({ executionId: event.executionName });
  const input = parseExecutionInput(event.input, loadConfig());
  logger.info('input accepted', { input });
  return input;
};
