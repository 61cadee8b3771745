import { logFor } from '../lib/logger.js';
import type { NodeGroupPlan } from '../lib/plan/types.js';
import { createWaveVersions, type WaveTarget } from '../lib/rollout/launch-templates.js';

/** New launch template versions (ImageId only) for every node group of one wave. */
export const handler = async (event: { groups: NodeGroupPlan[]; amiId: string; executionName: string; variantId: string }): Promise<WaveTarget[]> => {
  logFor({ executionId: event.executionName, variant: event.variantId });
  return createWaveVersions(event.groups, event.amiId, event.executionName);
};
