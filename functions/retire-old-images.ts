import { retireOldImages } from '../lib/fastlaunch/retire.js';
import { logFor } from '../lib/logger.js';
import type { VariantRun } from '../lib/plan/types.js';
import type { WaveOutcomeGroup } from '../lib/rollout/check-wave.js';
import { settings } from '../lib/settings.js';
import { loadVariant, type VariantHeader } from '../lib/store/plan-store.js';
import { loadOutcomes } from '../lib/store/outcomes.js';

interface Event {
  run: VariantRun['run'];
  variant: VariantHeader;
  image: { amiId: string };
}

/** After the rollout: Fast Launch off on the AMIs every node group left (their snapshots cost money and quota); none after a run limited by input.nodeGroups. */
export const handler = async ({ state }: { state: Event }): Promise<{ disabled: string[] }> => {
  logFor({ executionId: state.run.executionName, variant: state.variant.id });
  const { fastLaunchTemplateId } = settings('fastLaunchTemplateId');
  const [variant, waves] = await Promise.all([loadVariant(state.variant), loadOutcomes(state.variant)]);
  return { disabled: await retireOldImages(variant, waves.flatMap((w: { groups: WaveOutcomeGroup[] }) => w.groups), state.image.amiId, fastLaunchTemplateId) };
};
