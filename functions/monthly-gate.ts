import { loadConfig } from '../lib/pipeline-config.js';
import { logger } from '../lib/logger.js';
import { settings } from '../lib/settings.js';
import { monthlyGate } from '../lib/triggers/monthly.js';

/** Daily tick: starts the monthly run on Patch Tuesday + N days (config), once per month. */
export const handler = async (event: { time?: string }) => {
  logger.resetKeys();
  const { parameterPrefix, stateMachineArn } = settings('parameterPrefix', 'stateMachineArn');
  const outcome = await monthlyGate(loadConfig(), new Date(event?.time ?? Date.now()), parameterPrefix, stateMachineArn);
  logger.info('monthly gate', { outcome });
  return outcome;
};
