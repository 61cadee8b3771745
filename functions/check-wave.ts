import { autoScaling } from '../lib/aws/auto-scaling.js';
import { kubernetesFromAccess } from '../lib/kubernetes/session.js';
import { loadConfig } from '../lib/pipeline-config.js';
import { logFor } from '../lib/logger.js';
import { checkWave, type WaveCheck, type WaveCheckRequest } from '../lib/rollout/check-wave.js';
import { settings } from '../lib/settings.js';
import { variantForWave, type VariantHeader } from '../lib/store/header.js';

/** One poll of a whole wave's instance refreshes (one call however many groups), judged by the cluster where it is known. */
export const handler = async ({ variant, ...rest }: Omit<WaveCheckRequest, 'region' | 'variant'> & { variant: VariantHeader }): Promise<WaveCheck> => {
  // The wave's groups are the ones it refreshes; the canaries, when the plan has any, are the whole first wave (lib/rollout/waves.ts).
  const canary = rest.index === 0 && variant.canaryFirst;
  const event = { ...rest, variant: variantForWave(variant, rest.index, rest.progress.groups.map((g) => ({ asgName: g.asgName, canary }))) };
  logFor({ executionId: event.run.executionName, variant: event.variant.id });
  const config = loadConfig();
  const { region, stage } = settings('region', 'stage');
  // The clusters' endpoints and CAs came with the wave's state (read when it started): no DescribeCluster here.
  const kubernetes = kubernetesFromAccess(event.progress.clusters, region, () => autoScaling.config.credentials());
  const hooks = { stage, run: event.run.executionName, variant: event.variant, readinessTimeoutMinutes: config.kubernetes.readinessTimeoutMinutes, kubernetes };
  return checkWave({ ...event, region }, config.rollout, hooks);
};
