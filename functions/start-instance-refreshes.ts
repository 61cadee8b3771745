import { loadConfig } from '../lib/pipeline-config.js';
import { logFor } from '../lib/logger.js';
import type { WaveTarget } from '../lib/rollout/launch-templates.js';
import { startWave, type WaveProgress } from '../lib/rollout/refresh.js';

/** Starts an instance refresh on every node group of one wave, to the explicit new version, with AutoRollback. */
export const handler = async (event: { targets: WaveTarget[]; executionName: string; variantId: string }): Promise<WaveProgress> => {
  logFor({ executionId: event.executionName, variant: event.variantId });
  return startWave(event.targets, loadConfig().rollout);
};
