import { loadConfig } from '../lib/pipeline-config.js';
import { checkImage, type ImageState } from '../lib/imagebuilder/status.js';
import { logFor } from '../lib/logger.js';
import type { VariantRun } from '../lib/plan/types.js';
import { settings } from '../lib/settings.js';

/** One look at the image build: waiting (with the next interval), ready (AMI tagged), or a named failure. */
export const handler = async (event: VariantRun & { image: ImageState; executionArn: string }): Promise<ImageState> => {
  logFor({ executionId: event.run.executionName, variant: event.variant.id });
  const { region } = settings('region');
  const { timeoutMinutes, pollSeconds } = loadConfig().imageBuilder;
  return checkImage({ ...event, region, timeoutMinutes, pollSeconds });
};
