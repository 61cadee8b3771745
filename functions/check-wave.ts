import { autoScaling } from '../lib/aws/auto-scaling.js';
import { kubernetesFromAccess } from '../lib/kubernetes/session.js';
import { loadConfig } from '../lib/pipeline-config.js';
import { logFor } from '../lib/logger.js';
import { checkWave, type WaveCheck, type WaveCheckRequest } from '../lib/rollout/check-wave.js';
import { settings } from '../lib/settings.js';

/** One poll of a whole wave's instance refreshes (one call however many groups), judged by the cluster where it is known. */
export const handler = async (event: Omit<WaveCheckRequest, 'region'>): Promise<WaveCheck> => {
  logFor({ executionId: event.run.executionName, variant: event.variant.id });
  const config = loadConfig();
  const { region, stage } = settings('region', 'stage');
  // The clusters' endpoints and CAs came with the wave's state (read when it started): no DescribeCluster here.
  const kubernetes = kubernetesFromAccess(event.progress.clusters, region, () => autoScaling.config.credentials());
  const hooks = { stage, run: event.run.executionName, variant: event.variant, readinessTimeoutMinutes: config.kubernetes.readinessTimeoutMinutes, kubernetes };
  return checkWave({ ...event, region }, config.rollout, hooks);
};
