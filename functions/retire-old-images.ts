import { retiredImages, retireFastLaunch } from '../lib/fastlaunch-retire.js';
import { logFor } from '../lib/logger.js';
import type { VariantRun } from '../lib/plan/types.js';
import type { WaveOutcomeGroup } from '../lib/rollout/check-wave.js';
import { settings } from '../lib/settings.js';

interface Event extends VariantRun {
  image: { amiId: string };
  waves: { groups: WaveOutcomeGroup[] }[];
}

/** After the rollout: Fast Launch off on the AMIs every node group left (their snapshots cost money and quota). */
export const handler = async ({ state }: { state: Event }): Promise<{ disabled: string[] }> => {
  logFor({ executionId: state.run.executionName, variant: state.variant.id });
  const retired = retiredImages(state.variant.waves.flat(), state.waves.flatMap((w) => w.groups), state.image.amiId);
  return { disabled: await retireFastLaunch(retired, settings('fastLaunchTemplateId').fastLaunchTemplateId) };
};
