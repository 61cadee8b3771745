/**
 * What grows with the fleet lives in the stack's run-state bucket (RunStateBucket: SSE-S3, public access blocked,
 * objects expire after 30 days), never in a Step Functions state (256 KB): what ReadFleet read of the fleet for the
 * plan (`runs/<execution name>/fleet.json`, read by PlanRun; a dry run writes it too), a variant's plan with every node group
 * (`plan.json`), each wave's groups (`wave-<i>.json`, read by the state machine's own s3:getObject), each finished
 * wave's outcome (`outcome-<i>.json`, written by the state machine's s3:putObject), the groups a wave handed over to
 * the next round still refreshing (`carry-<i>.json`, read by wave i, written empty for every wave by the plan and then by
 * the wave of the round before that hands over to it: VariantPlan.carryTo, lib/rollout/hand-over.ts), the report of each wave that failed (`failure-<i>.json`, written by
 * the state machine, read by the failure report), what stopped the variant's current round (`stop.json`: `{}` written by
 * the plan, then by a wave of a round of several waves whose group went wrong, read by the waves beside it that still
 * have groups to start: lib/rollout/check-wave.ts) and the variant's result
 * (`result.json`). States carry the bucket, the prefix, indexes and counts.
 */
export interface StoreRef {
  bucket: string;
  /** runs/<execution name>/<variant id>/ */
  prefix: string;
}

export const fleetKey = (executionName: string) => `runs/${executionName}/fleet.json`;
export const storePrefix = (executionName: string, variantId: string) => `runs/${executionName}/${variantId}/`;
export const planKey = (ref: StoreRef) => `${ref.prefix}plan.json`;
export const waveKey = (ref: StoreRef, index: number) => `${ref.prefix}wave-${index}.json`;
export const outcomeKey = (ref: StoreRef, index: number) => `${ref.prefix}outcome-${index}.json`;
export const carryKey = (ref: StoreRef, index: number) => `${ref.prefix}carry-${index}.json`;
export const failureKey = (ref: StoreRef, index: number) => `${ref.prefix}failure-${index}.json`;
export const stopKey = (ref: StoreRef) => `${ref.prefix}stop.json`;
export const resultKey = (ref: StoreRef) => `${ref.prefix}result.json`;
