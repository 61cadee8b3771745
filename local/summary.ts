import type { VariantOutcome } from '../lib/notify/summary.js';
import type { VariantPlan } from '../lib/plan/types.js';
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

/**
 * Each variant as its child execution ended. A failed child has no output, so what it
 * changed is read from the account: its source AMI from its input, and the groups whose
 * launch template version moved (patched before the line stopped).
 */
function variants(report: RehearsalReport): RehearsalSummary['variants'] {
  const children = report.executions.filter((e) => e.stateMachine.endsWith('patch-variant'));
  return children.map((c) => {
    const output = c.status === 'SUCCEEDED' ? (c.output as VariantOutcome) : undefined;
    if (output) return { variant: output.variantId, status: 'SUCCEEDED' as const, sourceAmi: output.sourceAmi, amiId: output.amiId, patched: output.patched, skipped: output.skipped };
    const started = report.account.executions.find((e) => e.executionArn === c.executionArn);
    const plan = (JSON.parse(started?.input ?? '{}') as { variant?: VariantPlan }).variant;
    const groups = plan?.waves.flat() ?? [];
    const moved = groups.filter((g) => report.account.asg(g.asgName).version !== g.version);
    return {
      variant: plan?.id ?? c.label,
      status: 'FAILED' as const,
      sourceAmi: plan?.sourceAmi ?? null,
      amiId: moved[0] ? report.account.asg(moved[0].asgName).imageId : null,
      patched: moved.map((g) => g.asgName),
      skipped: [],
    };
  });
}

export function summarize(report: RehearsalReport): RehearsalSummary {
  const variantsNow = variants(report);
  return {
    status: report.status,
    error: report.run?.error ? `${report.run.error.Error}: ${report.run.error.Cause}` : null,
    variants: variantsNow,
    nodeGroupsPatched: variantsNow.reduce((n, v) => n + v.patched.length, 0),
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
