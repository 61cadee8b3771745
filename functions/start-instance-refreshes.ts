import { PlanError } from '../lib/errors.js';
import { accessOf, kubernetesFor } from '../lib/kubernetes/connect.js';
import { loadConfig } from '../lib/pipeline-config.js';
import { logFor } from '../lib/logger.js';
import { withCarried, type Carry } from '../lib/rollout/hand-over.js';
import type { WaveTarget } from '../lib/rollout/launch-templates.js';
import { startWave, type WaveProgress } from '../lib/rollout/refresh.js';
import type { WaveLimit } from '../lib/rollout/admission.js';
import { settings } from '../lib/settings.js';

interface Event {
  targets: WaveTarget[];
  executionName: string;
  variantId: string;
  /** What the wave before left this one (carry-<index>.json, read by the state machine): its groups still refreshing. */
  carried?: Carry;
  /** This wave's place in the plan, and the share of the limits of every wave handed over to by proof (VariantPlan.limits). */
  index?: number;
  limits?: Record<number, WaveLimit>;
}

/**
 * Starts an instance refresh on every node group of one wave, to the explicit new version, with AutoRollback (and our
 * lifecycle hooks where the cluster is known); the groups the wave before handed over still refreshing join it. A wave
 * handed over to by proof starts only what fits its limit beside them: CheckWave starts the rest as room frees.
 */
export const handler = async (event: Event): Promise<WaveProgress> => {
  logFor({ executionId: event.executionName, variant: event.variantId });
  const config = loadConfig();
  const variant = config.variants.find((v) => v.id === event.variantId);
  if (!variant) throw new PlanError(`variant ${event.variantId} is not in the deployed config: deploy the config the run was planned with`);
  const hooks = { ...settings('stage'), run: event.executionName, variant, readinessTimeoutMinutes: config.kubernetes.readinessTimeoutMinutes, kubernetes: kubernetesFor, access: accessOf };
  const limit = event.index === undefined ? undefined : event.limits?.[event.index];
  const started = await startWave(event.targets, config.rollout, hooks, limit, event.carried?.groups);
  return withCarried(started, event.carried, config.rollout);
};
