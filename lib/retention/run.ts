import { applyRetention, dryRunOutcome, type RetentionOutcome } from './apply.js';
import { decideRetention, type RetentionPlan } from './decide.js';
import { gatherRetentionFacts, type RetentionScope } from './gather.js';

/** Retention for one variant: read the account, decide, and delete (or, in a dry run, only list). */
export async function runRetention(scope: RetentionScope, dryRun: boolean): Promise<{ plan: RetentionPlan; outcome: RetentionOutcome }> {
  const plan = decideRetention(await gatherRetentionFacts(scope));
  return { plan, outcome: dryRun ? dryRunOutcome(plan) : await applyRetention(plan) };
}
