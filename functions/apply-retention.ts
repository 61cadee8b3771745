import { RetentionPendingError } from '../lib/errors.js';
import { logFor, logger } from '../lib/logger.js';
import { loadConfig } from '../lib/pipeline-config.js';
import type { VariantRun } from '../lib/plan/types.js';
import type { RetentionOutcome } from '../lib/retention/apply.js';
import { retentionLines } from '../lib/retention/decide.js';
import { runRetention } from '../lib/retention/run.js';
import { settings } from '../lib/settings.js';

/**
 * After a successful variant: keep the newest retention.keepImages AMIs and every one still
 * referenced, delete the rest (README "Retention"). While Fast Launch is still turning off on
 * an AMI it deletes, it throws RetentionPendingError: the state machine retries a few minutes later.
 */
export const handler = async ({ state }: { state: VariantRun }): Promise<RetentionOutcome | { skipped: string }> => {
  logFor({ executionId: state.run.executionName, variant: state.variant.id });
  const { retention } = loadConfig();
  if (!retention.enabled) return { skipped: 'retention.enabled is false' };
  const { stage, parameterPrefix, fastLaunchTemplateId } = settings('stage', 'parameterPrefix', 'fastLaunchTemplateId');
  const { plan, outcome } = await runRetention({ stage, variantId: state.variant.id, keepImages: retention.keepImages, parameterPrefix, fastLaunchTemplateId }, false);
  logger.info(retentionLines(plan, false).join('\n'));
  if (outcome.pending.length) throw new RetentionPendingError(`Fast Launch is still turning off on ${outcome.pending.join(', ')}: deregistered on the next try`);
  return outcome;
};
