import type { VariantOutcome, VariantResult } from '../lib/notify/summary.js';
import type { RehearsalReport } from './rehearsal.js';

/** The machine-readable summary of a rehearsal (`npm start -- --json`). */
export interface RehearsalSummary {
  status: 'SUCCEEDED' | 'FAILED';
  error: string | null;
  variants: { variant: string; status: 'SUCCEEDED' | 'FAILED'; sourceAmi: string | null; amiId: string | null; patched: string[]; skipped: string[] }[];
  nodeGroupsPatched: number;
  instancesReplaced: number;
  notifications: { t: string; subject: string; severity: string }[];
  simulatedSeconds: number;
  simulatedDuration: string;
  stateTransitions: number;
  largestExecutionTransitions: number;
  lambdaInvocations: number;
  awsCalls: number;
}

export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return `${h}h ${String(m).padStart(2, '0')}m`;
}

function variantResults(report: RehearsalReport): VariantResult[] {
  const children = report.executions.filter((e) => e.stateMachine.endsWith('patch-variant'));
  return children.map((c) => ({
    variantId: c.name.slice(report.run.name.length + 1),
    output: c.status === 'SUCCEEDED' ? (c.output as VariantOutcome) : undefined,
    error: c.error,
  }));
}

export function summarize(report: RehearsalReport): RehearsalSummary {
  const variants = variantResults(report).map((r) => ({
    variant: r.variantId,
    status: r.output ? ('SUCCEEDED' as const) : ('FAILED' as const),
    sourceAmi: r.output?.sourceAmi ?? null,
    amiId: r.output?.amiId ?? null,
    patched: r.output?.patched ?? [],
    skipped: r.output?.skipped ?? [],
  }));
  return {
    status: report.status,
    error: report.run?.error ? `${report.run.error.Error}: ${report.run.error.Cause}` : null,
    variants,
    nodeGroupsPatched: variants.reduce((n, v) => n + v.patched.length, 0),
    instancesReplaced: report.instancesReplaced,
    notifications: report.notifications.map((n) => ({ t: n.t, subject: n.subject ?? '', severity: String((n.attributes?.severity as { StringValue?: string } | undefined)?.StringValue ?? '') })),
    simulatedSeconds: report.simulatedSeconds,
    simulatedDuration: formatDuration(report.simulatedSeconds),
    stateTransitions: report.executions.reduce((n, e) => n + e.transitions, 0),
    largestExecutionTransitions: Math.max(0, ...report.executions.map((e) => e.transitions)),
    lambdaInvocations: report.invocations,
    awsCalls: report.calls.length,
  };
}
