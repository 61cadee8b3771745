import type { RetentionPlan } from './decide.js';

/** No SDK here: record-success imports it, and its bundle stays small. */

/** What retention did (or, in a dry run, would do). */
export interface RetentionOutcome {
  variantId: string;
  dryRun: boolean;
  kept: RetentionPlan['kept'];
  /** AMIs whose Fast Launch was turned off first (this pass or before). */
  fastLaunchTurnedOff: string[];
  deregistered: string[];
  snapshotsDeleted: string[];
  images: string[];
  recipes: string[];
  components: string[];
  launchTemplateVersions: { launchTemplateId: string; launchTemplateName: string; versions: number[] }[];
  freedGiB: number;
  /** AMIs waiting for Fast Launch to finish turning off: deregistered on the next pass. */
  pending: string[];
  /** What AWS refused, with its reason; tried again on the next run. */
  skipped: { resource: string; reason: string }[];
}

/** What the run summary says about retention: each kept AMI and why, what went, what is left for the next run. */
export function outcomeLines(o: RetentionOutcome, keepImages: number): string[] {
  const did = o.dryRun ? 'would delete' : 'deleted';
  const lines = o.kept.map((k) => `kept ${k.amiId}: ${k.reasons.join('; ')}`);
  for (const amiId of o.deregistered) lines.push(`${did} ${amiId}${o.fastLaunchTurnedOff.includes(amiId) || !o.dryRun ? ' (Fast Launch off first)' : ''}`);
  if (o.snapshotsDeleted.length) lines.push(`${did} snapshot(s) ${o.snapshotsDeleted.join(', ')}${o.freedGiB ? ` (${o.freedGiB} GiB)` : ''}`);
  if (o.images.length + o.recipes.length + o.components.length) lines.push(`${did} ${o.images.length} Image Builder image(s), ${o.recipes.length} recipe(s), ${o.components.length} component(s)`);
  for (const t of o.launchTemplateVersions) lines.push(`${did} launch template ${t.launchTemplateName} version(s) ${t.versions.join(', ')}`);
  for (const amiId of o.pending) lines.push(`left ${amiId} for the next run: Fast Launch is still turning off`);
  for (const s of o.skipped) lines.push(`left ${s.resource}: ${s.reason}`);
  return [`retention keeps the newest ${keepImages} patched AMI(s) and every one still in use`, ...lines];
}
