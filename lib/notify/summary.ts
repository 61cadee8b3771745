import { subject, type Notice, variantsAttribute } from '../notice.js';
import type { GroupProgress } from '../rollout/refresh.js';
import { causeText, type CaughtError } from './cause.js';
import { links } from './links.js';

/** What a variant's child execution returns when it succeeds. */
export interface VariantOutcome {
  variantId: string;
  sourceAmi: string;
  amiId: string;
  patched: string[];
  current: string[];
  skipped: string[];
  /** Refreshed, but instances still on the old AMI (names with the instance ids). Absent in outputs of older runs. */
  partial?: string[];
  warnings: string[];
  /** What retention kept (and why) and deleted at the end of the variant (lib/retention). Absent when it did not run. */
  retention?: string[];
  /** The lists' full lengths when they were cut to their first names (lib/store/outcomes.ts); absent: the lists are whole. */
  counts?: { patched: number; current: number; skipped: number; partial: number; warnings: number };
  /** Where the whole outcome is (the run-state bucket). */
  fullOutcome?: string;
}

/** How many a list holds, counting the names left out of the execution's output. */
const countOf = (o: VariantOutcome, list: 'patched' | 'current' | 'skipped' | 'partial' | 'warnings') => o.counts?.[list] ?? o[list]?.length ?? 0;

export function variantOutcome(variantId: string, sourceAmi: string, amiId: string, waves: { groups: Pick<GroupProgress, 'asgName' | 'state' | 'reason'>[] }[], warnings: string[]): VariantOutcome {
  const groups = waves.flatMap((w) => w.groups);
  const names = (state: string) => groups.filter((g) => g.state === state).map((g) => g.asgName);
  return {
    variantId,
    sourceAmi,
    amiId,
    patched: names('patched'),
    current: names('current'),
    skipped: groups.filter((g) => g.state === 'skipped').map((g) => `${g.asgName} (${g.reason})`),
    partial: groups.filter((g) => g.state === 'partial').map((g) => `${g.asgName} (${g.reason})`),
    warnings,
  };
}

/** One entry per variant from the parent's Map: the child's output, or how it failed. */
export interface VariantResult {
  variantId: string;
  output?: VariantOutcome;
  error?: CaughtError;
}

/** Hours and minutes, for a person. */
export function duration(fromIso: string, toIso: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 60000));
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** Past a few dozen node groups a list of every name buries the point (and the message must stay small): counts, then a sample. */
const NAMES_LISTED = 20;
const FULL_LIST = 'every group: the execution output';
const sample = (names: string[], sep: string, total = names.length, where = FULL_LIST) =>
  total > Math.min(names.length, NAMES_LISTED) ? `${names.slice(0, NAMES_LISTED).join(sep)}${sep}… and ${total - Math.min(names.length, NAMES_LISTED)} more (${where})` : names.join(sep);

export function runSummary(
  executionName: string,
  results: VariantResult[],
  region: string,
  executionArn: string,
  timing?: { startTime: string; endTime: string },
): { succeeded: boolean; notice: Notice } {
  const failed = results.filter((r) => !r.output);
  const done = results.flatMap((r) => (r.output ? [r.output] : []));
  const patched = done.reduce((n, o) => n + countOf(o, 'patched'), 0);
  const skipped = done.reduce((n, o) => n + countOf(o, 'skipped'), 0);
  const partial = done.reduce((n, o) => n + countOf(o, 'partial'), 0);
  const lines = [`Run ${executionName} finished: ${done.length} of ${results.length} variant(s) succeeded.`];
  if (timing) lines.push(`Started ${timing.startTime}, finished ${timing.endTime} (${duration(timing.startTime, timing.endTime)}).`);
  lines.push('');
  for (const o of done) {
    lines.push(`${o.variantId}: AMI ${o.amiId} (from ${o.sourceAmi})`, `  ${links(region).ami(o.amiId)}`);
    const where = o.fullOutcome ? `every group: ${o.fullOutcome}` : FULL_LIST;
    const n = (list: 'patched' | 'current' | 'skipped' | 'partial' | 'warnings') => countOf(o, list);
    lines.push(`  patched (${n('patched')}): ${sample(o.patched, ', ', n('patched'), where) || 'none'}`);
    if (n('current')) lines.push(`  already current (${n('current')}): ${sample(o.current, ', ', n('current'), where)}`);
    // Skipped groups are what the operator acts on: name them first.
    if (n('skipped')) lines.push(`  skipped (${n('skipped')}): ${sample(o.skipped, '; ', n('skipped'), where)}`);
    if (n('partial')) lines.push(`  NOT fully patched (${n('partial')}): ${sample(o.partial ?? [], '; ', n('partial'), where)}`);
    for (const w of o.warnings.slice(0, NAMES_LISTED)) lines.push(`  warning: ${w}`);
    if (n('warnings') > NAMES_LISTED) lines.push(`  … and ${n('warnings') - NAMES_LISTED} more warning(s) (${where})`);
  }
  for (const r of failed) lines.push(`${r.variantId}: FAILED - ${r.error ? causeText(r.error).split('\n')[0] : 'unknown'} (its failure message says where each node group stands)`);
  lines.push('', failed.length ? 'What to do: see the failure message of each failed variant.' : partial ? 'What to do: each group listed as NOT fully patched says why (instances still on the old AMI: remove their scale-in protection or take them out of Standby; pods that went without eviction: fix the budget that held them); then start a new run (it treats these groups as not patched).' : skipped ? 'What to do: start a run for the skipped groups once their other refresh is over.' : 'Nothing to do: every targeted node group was refreshed to the patched AMI (instances with scale-in protection or in Standby are left as rollout.scaleInProtectedInstances / standbyInstances say).');
  lines.push(`Execution: ${links(region).execution(executionArn)}`);
  const current = done.reduce((n, o) => n + countOf(o, 'current'), 0);
  return {
    succeeded: failed.length === 0,
    notice: {
      subject: subject(summarySubject(results.length, failed.length, patched, skipped, current, partial)),
      message: lines.join('\n'),
      severity: failed.length ? 'error' : skipped || partial || done.some((o) => o.warnings.length) ? 'warning' : 'info',
      variant: variantsAttribute(results.map((r) => r.variantId)),
    },
  };
}

/**
 * The subject states the outcome without overclaiming: "All nodes patched" only when
 * every targeted group was patched (or already current) and none was skipped. A failed
 * variant's own message counts its groups; a total here would hide them.
 */
export function summarySubject(variants: number, failed: number, patched: number, skipped: number, current: number, partial = 0): string {
  if (failed) return `FAILED for ${failed} of ${variants} variant(s): see each failed variant's message`;
  if (partial) return `NOT all nodes patched: ${partial} node group(s) not fully patched`;
  if (skipped) return `Patched ${patched} node group(s), ${skipped} SKIPPED: another refresh was running`;
  if (patched + current === 0) return `Images ready for ${variants} variant(s): no node group was rolled out`;
  return `All nodes patched: ${patched} node group(s) on new AMIs${current ? `, ${current} already current` : ''}`;
}
