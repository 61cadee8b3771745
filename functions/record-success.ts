import { logFor, logger } from '../lib/logger.js';
import { variantOutcome, type VariantOutcome } from '../lib/notify/summary.js';
import type { VariantRun } from '../lib/plan/types.js';
import { recordSuccessfulSource, releaseRolledOut } from '../lib/record.js';
import type { WaveOutcomeGroup } from '../lib/rollout/check-wave.js';
import { settings } from '../lib/settings.js';
import type { VariantHeader } from '../lib/store/header.js';
import { compactOutcome, loadOutcomes } from '../lib/store/outcomes.js';

interface Event {
  run: VariantRun['run'];
  variant: VariantHeader;
  image: { amiId: string };
  fastLaunch?: { warning: string | null };
}

/** Remembers the source AMI this variant was built from (detect-release compares with it) and returns the variant's outcome. */
export const handler = async ({ state: event }: { state: Event }): Promise<VariantOutcome> => {
  logFor({ executionId: event.run.executionName, variant: event.variant.id });
  const { parameterPrefix } = settings('parameterPrefix');
  const warnings = [...event.variant.warnings, ...(event.fastLaunch?.warning ? [event.fastLaunch.warning] : [])];
  // Every wave's outcome from the run-state bucket (a variant without node groups has none, and no stored plan to read).
  const waves: { groups: WaveOutcomeGroup[] }[] = event.variant.waveCount ? await loadOutcomes(event.variant) : [];
  const full = variantOutcome(event.variant.id, event.variant.sourceAmi, event.image.amiId, waves, warnings);
  const outcome = await compactOutcome(event.variant, full);
  const karpenterOnly = event.variant.waveCount === 0 && event.variant.nodeGroupsLimited !== true;
  if (releaseRolledOut(event.variant.stages, full, karpenterOnly)) await recordSuccessfulSource(parameterPrefix, event.variant.id, event.variant.sourceAmi);
  logger.info('variant done', { amiId: outcome.amiId, patched: full.patched.length, skipped: full.skipped.length });
  return outcome;
};
