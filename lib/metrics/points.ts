import { waveFailure, type CaughtError } from '../notify/cause.js';

/**
 * The pipeline's CloudWatch metrics (README "Dashboard"): one namespace, dimensions `stage` and `variant`, published
 * as Embedded Metric Format log lines (publish.ts). Here only what each handler reports, as pure functions.
 */
export const METRICS_NAMESPACE = 'EKSWindowsPatch';

export const METRIC_UNITS = {
  ExecutionsStarted: 'Count',
  ExecutionsSucceeded: 'Count',
  ExecutionsFailed: 'Count',
  NodeGroupsPatched: 'Count',
  NodeGroupsFailed: 'Count',
  ImageBuildSeconds: 'Seconds',
  RolloutSeconds: 'Seconds',
  DaysSinceLastSuccess: 'Count',
} as const;
export type MetricName = keyof typeof METRIC_UNITS;

export interface MetricPoint {
  name: MetricName;
  variant: string;
  value: number;
}

/** A run that goes ahead (not a dry run, not waiting for or skipped because of another run): one start per variant. */
export function runStarted(plan: { dryRun: boolean; proceed: string; variants: { id: string }[] }): MetricPoint[] {
  if (plan.dryRun || plan.proceed !== 'now') return [];
  return plan.variants.map((v) => ({ name: 'ExecutionsStarted', variant: v.id, value: 1 }));
}

const seconds = (from: string | undefined, now: number) => {
  const t = from === undefined ? Number.NaN : Date.parse(from);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.round((now - t) / 1000));
};

/** The image build is done: how long it took from CreateImage to the AMI tagged. */
export function imageBuilt(variant: string, startedAt: string, now: number): MetricPoint[] {
  const s = seconds(startedAt, now);
  return s === undefined ? [] : [{ name: 'ImageBuildSeconds', variant, value: s }];
}

/**
 * A variant succeeded: its groups patched, and the rollout's duration (from the moment the rollout could start: Fast
 * Launch ready, or the image ready without Fast Launch, to the variant's success) when the rollout stage ran.
 */
export function variantSucceeded(e: { variant: string; patched: number; rollout: boolean; rolloutFrom?: string }, now: number): MetricPoint[] {
  const s = e.rollout ? seconds(e.rolloutFrom, now) : undefined;
  return [
    { name: 'ExecutionsSucceeded', variant: e.variant, value: 1 },
    { name: 'NodeGroupsPatched', variant: e.variant, value: e.patched },
    ...(s !== undefined ? [{ name: 'RolloutSeconds' as const, variant: e.variant, value: s }] : []),
  ];
}

/** A variant failed: the node groups of its failed wave that failed or rolled back. */
export function variantFailed(variant: string, error: CaughtError): MetricPoint[] {
  const failed = waveFailure(error)?.groups.filter((g) => g.state === 'failed' || g.state === 'rolledBack').length ?? 0;
  return [
    { name: 'ExecutionsFailed', variant, value: 1 },
    { name: 'NodeGroupsFailed', variant, value: failed },
  ];
}

/** Days since each variant's last successful patch (its last-source-ami parameter's LastModifiedDate); none if never. */
export function daysSinceLastSuccess(last: Map<string, Date | undefined>, now: number): MetricPoint[] {
  return [...last].flatMap(([variant, at]) => (at ? [{ name: 'DaysSinceLastSuccess' as const, variant, value: Math.floor(((now - at.getTime()) / 86_400_000) * 100) / 100 }] : []));
}
