import { turnOffFastLaunchIfUnused, unusedImageLines } from '../lib/fastlaunch/unused.js';
import { logFor } from '../lib/logger.js';
import { variantFailed } from '../lib/metrics/points.js';
import { publishMetrics } from '../lib/metrics/publish.js';
import type { Notice } from '../lib/notice.js';
import { describeVariantFailure, type VariantState } from '../lib/notify/failure.js';
import { settings } from '../lib/settings.js';
import { loadVariant, type VariantHeader } from '../lib/store/plan-store.js';
import { withRoundReports } from '../lib/store/round-failure.js';

/**
 * Builds the failure message of a variant: the stage, the cause, where every node group stands, what to do.
 * First, Fast Launch off on the new AMI when no node group moved to it (never throws: the report says what it did).
 */
export const handler = async ({ state: { variant: header, ...carried }, executionArn }: { state: Omit<VariantState, 'variant'> & { variant: VariantHeader }; executionArn: string }): Promise<{ notice: Notice; cause: string }> => {
  logFor({ executionId: carried.run.executionName, variant: header.id });
  const { region, fastLaunchTemplateId, stage } = settings('region', 'fastLaunchTemplateId', 'stage');
  // A failed round's waves left their reports in the run-state bucket: one report of them all.
  const error = await withRoundReports(carried.error, header.store);
  publishMetrics(stage, variantFailed(header.id, error));
  // Every node group of the plan, from the run-state bucket (the state carries the variant's header only).
  const event = { state: { ...carried, error, variant: await loadVariant(header) } as VariantState, executionArn };
  const fastLaunch = await turnOffFastLaunchIfUnused(event.state, fastLaunchTemplateId);
  return describeVariantFailure(event.state, event.executionArn, region, unusedImageLines(fastLaunch));
};
