import { retireOldImages } from '../lib/fastlaunch/retire.js';
import { logFor } from '../lib/logger.js';
import type { VariantRun } from '../lib/plan/types.js';
import type { WaveOutcomeGroup } from '../lib/rollout/check-wave.js';
import { settings } from '../lib/settings.js';

interface Event extends VariantRun {
  image: { amiId: string };
  waves: { groups: WaveOutcomeGroup[] }[];
}

/** After the rollout: Fast Launch off on the AMIs every node group left (their snapshots cost money and quota); none after a run limited by input.nodeGroups. */
export const handler = async ({ state }: { state: Event }): Promise<{ disabled: string[] }> => {
  logFor({ executionId: state.run.executionName, variant: state.variant.id });
  const { fastLaunchTemplateId } = settings('fastLaunchTemplateId');
  return { disabled: await retireOldImages(state.variant, state.waves.flatMap((w) => w.groups), state.image.amiId, fastLaunchTemplateId) };
};
