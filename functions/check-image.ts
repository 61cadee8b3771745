import { loadConfig } from '../lib/pipeline-config.js';
import { checkImage, type ImageState } from '../lib/imagebuilder/status.js';
import { logFor } from '../lib/logger.js';
import { imageBuilt } from '../lib/metrics/points.js';
import { publishMetrics } from '../lib/metrics/publish.js';
import type { VariantRun } from '../lib/plan/types.js';
import { settings } from '../lib/settings.js';
import { variantForWave, type VariantHeader } from '../lib/store/header.js';

/** One look at the image build: waiting (with the next interval), ready (AMI tagged), or a named failure. */
export const handler = async ({ variant, ...rest }: Omit<VariantRun, 'variant'> & { variant: VariantHeader; image: ImageState; executionArn: string }): Promise<ImageState & { readyAt?: string }> => {
  const event = { ...rest, variant: variantForWave(variant, -1, []) };
  logFor({ executionId: event.run.executionName, variant: event.variant.id });
  const { region, stage } = settings('region', 'stage');
  const { timeoutMinutes, pollSeconds } = loadConfig().imageBuilder;
  const image = await checkImage({ ...event, region, timeoutMinutes, pollSeconds });
  if (!image.ready) return image;
  publishMetrics(stage, imageBuilt(event.variant.id, image.startedAt, Date.now()));
  // When the rollout may start without Fast Launch (RecordSuccess measures the rollout from here).
  return { ...image, readyAt: new Date().toISOString() };
};
