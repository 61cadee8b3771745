import { loadConfig } from '../lib/pipeline-config.js';
import { startImageBuild } from '../lib/imagebuilder/build.js';
import type { ImageState } from '../lib/imagebuilder/status.js';
import { logFor } from '../lib/logger.js';
import type { VariantRun } from '../lib/plan/types.js';
import { variantForWave, type VariantHeader } from '../lib/store/header.js';
import { settings } from '../lib/settings.js';

/** Creates the variant's cache component, recipe and image build (idempotent per execution and variant). */
export const handler = async ({ run, variant: header }: { run: VariantRun['run']; variant: VariantHeader }): Promise<ImageState> => {
  const event: VariantRun = { run, variant: variantForWave(header, -1, []) };
  logFor({ executionId: event.run.executionName, variant: event.variant.id });
  const s = settings('stage', 'region', 'infrastructureConfigurationArn');
  const config = loadConfig();
  const build = await startImageBuild({ ...event, ...s, rootVolumeGiB: config.imageBuilder.rootVolumeGiB });
  return { ...build, status: 'PENDING', ready: false, amiId: null, waitSeconds: config.imageBuilder.pollSeconds, notice: null };
};
