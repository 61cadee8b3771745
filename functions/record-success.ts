import { logFor, logger } from '../lib/logger.js';
import { variantSucceeded } from '../lib/metrics/points.js';
import { publishMetrics } from '../lib/metrics/publish.js';
import { variantOutcome, type VariantOutcome } from '../lib/notify/summary.js';
import type { VariantRun } from '../lib/plan/types.js';
import { recordSuccessfulSource, releaseRolledOut } from '../lib/record.js';
import type { WaveOutcomeGroup } from '../lib/rollout/check-wave.js';
import { settings } from '../lib/settings.js';
import { loadConfig } from '../lib/pipeline-config.js';
import { outcomeLines, type RetentionOutcome } from '../lib/retention/outcome.js';
import type { VariantHeader } from '../lib/store/header.js';
import { compactOutcome, loadOutcomes } from '../lib/store/outcomes.js';

interface Event {
  run: VariantRun['run'];
  variant: VariantHeader;
  image: { amiId: string; readyAt?: string };
  fastLaunch?: { warning: string | null; readyAt?: string };
  /** ApplyRetention's result (absent after a failure there: see retentionError). */
  retention?: RetentionOutcome | { skipped: string };
  /** ApplyRetention's error after its retries (Catch ResultPath). */
  retentionError?: { Error?: string; Cause?: string };
}

/** Remembers the source AMI this variant was built from (detect-release compares with it) and returns the variant's outcome. */
export const handler = async ({ state: event }: { state: Event }): Promise<VariantOutcome> => {
  logFor({ executionId: event.run.executionName, variant: event.variant.id });
  const { parameterPrefix, stage } = settings('parameterPrefix', 'stage');
  const warnings = [...event.variant.warnings, ...(event.fastLaunch?.warning ? [event.fastLaunch.warning] : [])];
  // Every wave's outcome from the run-state bucket (none without node groups, or when the run left the rollout out).
  const rolledOut = event.variant.stages.rollout && event.variant.waveCount > 0;
  const waves: { groups: WaveOutcomeGroup[] }[] = rolledOut ? await loadOutcomes(event.variant) : [];
  const full = variantOutcome(event.variant.id, event.variant.sourceAmi, event.image.amiId, waves, warnings);
  if (event.retention && 'kept' in event.retention) full.retention = outcomeLines(event.retention, loadConfig().retention.keepImages);
  if (event.retentionError) full.retention = [`retention did not finish (nothing else is affected; the next run tries again): ${event.retentionError.Error}: ${event.retentionError.Cause ?? ''}`.trim()];
  const outcome = await compactOutcome(event.variant, full);
  const karpenterOnly = event.variant.waveCount === 0 && event.variant.nodeGroupsLimited !== true;
  if (releaseRolledOut(event.variant.stages, full, karpenterOnly)) await recordSuccessfulSource(parameterPrefix, event.variant.id, event.variant.sourceAmi);
  const rolloutFrom = event.fastLaunch?.readyAt ?? event.image.readyAt;
  publishMetrics(stage, variantSucceeded({ variant: event.variant.id, patched: full.patched.length, rollout: event.variant.stages.rollout, ...(rolloutFrom ? { rolloutFrom } : {}) }, Date.now()));
  logger.info('variant done', { amiId: outcome.amiId, patched: full.patched.length, skipped: full.skipped.length });
  return outcome;
};
