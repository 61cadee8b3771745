import { loadConfig } from '../lib/pipeline-config.js';
import { logFor } from '../lib/logger.js';
import { checkWave, type WaveCheck, type WaveCheckRequest } from '../lib/rollout/check-wave.js';
import { settings } from '../lib/settings.js';

/** One poll of a whole wave's instance refreshes (one call however many groups). */
export const handler = async (event: Omit<WaveCheckRequest, 'region'>): Promise<WaveCheck> => {
  logFor({ executionId: event.run.executionName, variant: event.variant.id });
  return checkWave({ ...event, ...settings('region') }, loadConfig().rollout);
};
