import { PlanError } from '../lib/errors.js';
import { accessOf, kubernetesFor } from '../lib/kubernetes/connect.js';
import { loadConfig } from '../lib/pipeline-config.js';
import { logFor } from '../lib/logger.js';
import { withCarried } from '../lib/rollout/hand-over.js';
import type { WaveTarget } from '../lib/rollout/launch-templates.js';
import { startWave, type WaveProgress } from '../lib/rollout/refresh.js';
import { settings } from '../lib/settings.js';
import { readCarry } from '../lib/store/carry.js';
import type { VariantHeader } from '../lib/store/header.js';

interface Event {
  targets: WaveTarget[];
  executionName: string;
  index: number;
  variant: Pick<VariantHeader, 'id' | 'store' | 'handOver'>;
}

/**
 * Starts an instance refresh on every node group of one wave, to the explicit new version, with AutoRollback (and our
 * lifecycle hooks where the cluster is known); the groups the wave before handed over still refreshing join it.
 */
export const handler = async (event: Event): Promise<WaveProgress> => {
  logFor({ executionId: event.executionName, variant: event.variant.id });
  const config = loadConfig();
  const variant = config.variants.find((v) => v.id === event.variant.id);
  if (!variant) throw new PlanError(`variant ${event.variant.id} is not in the deployed config: deploy the config the run was planned with`);
  // Read before anything starts: a wave that cannot see the groups it must watch starts none of its own.
  const carry = event.variant.handOver.includes(event.index - 1) ? await readCarry(event.variant.store, event.index) : null;
  const hooks = { ...settings('stage'), run: event.executionName, variant, readinessTimeoutMinutes: config.kubernetes.readinessTimeoutMinutes, kubernetes: kubernetesFor, access: accessOf };
  const started = await startWave(event.targets, config.rollout, hooks);
  return carry ? withCarried(started, carry, config.rollout) : started;
};
