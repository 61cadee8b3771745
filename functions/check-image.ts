import { loadConfig } from '../lib/pipeline-config.js';
import { checkImage, type ImageState } from '../lib/imagebuilder/status.js';
import { logFor } from '../lib/logger.js';
import type { VariantRun } from '../lib/plan/types.js';
import { settings } from '../lib/settings.js';
import { variantForWave, type VariantHeader } from '../lib/store/header.js';

/** One look at the image build: waiting (with the next interval), ready (AMI tagged), or a named failure. */
export const handler = async ({ variant, ...rest }: Omit<VariantRun, 'variant'> & { variant: VariantHeader; image: ImageState; executionArn: string }): Promise<ImageState> => {
  const event = { ...rest, variant: variantForWave(variant, -1, []) };
  logFor({ executionId: event.run.executionName, variant: event.variant.id });
  const { region } = settings('region');
  const { timeoutMinutes, pollSeconds } = loadConfig().imageBuilder;
  return checkImage({ ...event, region, timeoutMinutes, pollSeconds });
};
