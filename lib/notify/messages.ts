import { subject, type Notice } from '../notice.js';
import type { RunPlan, VariantPlan, VariantRun } from '../plan/types.js';
import type { GroupProgress, WaveProgress } from '../rollout/refresh.js';
import { links } from './links.js';

/**
 * Every e-mail answers three questions: what happened, where does the fleet stand,
 * what do I do now. Plain text: e-mail subscribers see the raw message.
 */

const groupCount = (v: VariantPlan) => v.waves.reduce((n, w) => n + w.length, 0);

/** Where the run lives, for links and the timeline (absent when a plan is made outside an execution). */
export interface RunLocation {
  region: string;
  executionArn: string;
  startTime?: string;
}

type PlanFacts = Omit<RunPlan, 'notice'>;

/** "2 variant(s), 5 node group(s)" and the variant ids when they fit (the subject is capped at 100 characters). */
function scopeOf(plan: PlanFacts, warned: string): string {
  const ids = plan.variants.map((v) => v.id).join(', ');
  const groups = plan.variants.reduce((n, v) => n + groupCount(v), 0);
  const scope = `${plan.variants.length} variant(s), ${groups} node group(s)${warned}`;
  return ids && scope.length + ids.length <= 78 ? `${scope} (${ids})` : scope;
}

function planLines(plan: PlanFacts, where?: RunLocation): string[] {
  const lines: string[] = [];
  for (const v of plan.variants) {
    lines.push(`Variant ${v.id} (Windows Server ${v.windows} ${v.edition}, Kubernetes ${v.kubernetes})`);
    if (v.stages.build) {
      const last = v.lastBuiltSourceAmi ?? 'never built';
      lines.push(`  source AMI now: ${v.sourceAmi} (last built from: ${last}${v.lastBuiltSourceAmi === v.sourceAmi ? ', unchanged' : ''})`);
      lines.push(`  cached images: ${v.images.length ? v.images.join(', ') : 'none'}`);
    } else lines.push(`  rolling out existing AMI ${v.amiId}`);
    lines.push(`  stages: ${Object.entries(v.stages).filter(([, on]) => on).map(([s]) => s).join(' -> ')}`);
    v.waves.forEach((wave, i) => {
      lines.push(`  wave ${i + 1}${wave.some((g) => g.canary) ? ' (canary)' : ''}: ${wave.length} node group(s)`);
      for (const g of wave) lines.push(`    ${g.asgName}: launch template ${g.launchTemplateId} version ${g.version} -> ${g.nextVersion ? `${g.nextVersion} (new)` : 'a new version'}, now on ${g.imageId}`);
    });
    if (!v.waves.length) lines.push('  no node groups selected');
    if (where) for (const g of v.waves.flat().slice(0, 5)) lines.push(`  ASG ${g.asgName}: ${links(where.region).asg(g.asgName)}`);
  }
  for (const u of plan.upToDate) lines.push(`Variant ${u.variantId}: already built from ${u.sourceAmi}; nothing to do`);
  if (plan.warnings.length) lines.push('', 'Warnings:', ...plan.warnings.map((w) => `  - ${w}`));
  return lines;
}

function footer(where?: RunLocation): string[] {
  if (!where) return [];
  return ['', ...(where.startTime ? [`Started: ${where.startTime}`] : []), `Execution: ${links(where.region).execution(where.executionArn)}`];
}

/** The start message, or for a dry-run the whole plan. */
export function startNotice(plan: PlanFacts, where?: RunLocation): Notice {
  const warned = plan.warnings.length ? `, ${plan.warnings.length} warning(s)` : '';
  const head = plan.dryRun
    ? [`Dry-run plan for ${plan.executionName}. Nothing was changed.`, `To carry it out, start the same input without "dryRun": true (npm run patch -- without --dry-run).`]
    : [`Patch run ${plan.executionName} started (${plan.trigger}${plan.reason ? `: ${plan.reason}` : ''}).`, 'You will get a message when each image is ready, after each wave, and at the end.'];
  return {
    subject: subject(`${plan.dryRun ? 'Dry-run plan' : 'Patch run started'}: ${scopeOf(plan, warned)}`),
    message: [...head, '', ...planLines(plan, where), ...footer(where)].join('\n'),
    severity: plan.warnings.length ? 'warning' : 'info',
    variant: plan.variants.map((v) => v.id).join(',') || 'none',
  };
}

/** A run that ended without changes: another run holds its variants, or every release was already built. */
export function skippedNotice(plan: PlanFacts, where?: RunLocation): Notice {
  const busy = plan.busyWith.length > 0;
  const why = busy
    ? plan.busyWith.map((b) => `  run ${b.executionName} is still active for ${b.variants.join(', ')}`)
    : plan.upToDate.map((u) => `  ${u.variantId} was already built from ${u.sourceAmi}`);
  const variants = [...plan.variants.map((v) => v.id), ...plan.upToDate.map((u) => u.variantId)];
  return {
    subject: subject(`Patch run skipped: ${busy ? 'another run is active for' : 'already built for'} ${variants.join(', ')}`),
    message: [
      `Patch run ${plan.executionName} ended without changing anything:`,
      ...why,
      '',
      busy
        ? 'What to do: nothing if the other run covers what you wanted; otherwise start this run again once it has finished (or with "whenBusy": "wait").'
        : 'Nothing to do: the fleet is built from the newest source AMI. To rebuild anyway, start a manual run.',
      ...footer(where),
    ].join('\n'),
    severity: busy ? 'warning' : 'info',
    variant: variants.join(',') || 'none',
  };
}

export function imageReadyNotice(req: VariantRun & { executionArn: string; region: string }, amiId: string): Notice {
  const l = links(req.region);
  return {
    subject: subject(`Image ready for ${req.variant.id}: ${amiId}`),
    message: [
      `Variant ${req.variant.id}: patched AMI ${amiId} is ready (built from ${req.variant.sourceAmi}).`,
      req.variant.stages.fastLaunch ? 'Next: Fast Launch pre-provisions snapshots (about 30 minutes), then the rollout.' : 'Fast Launch is not enabled for this run.',
      `Cached images: ${req.variant.images.length} (digest ${req.variant.imagesDigest})`,
      `Then: ${req.variant.waves.length} wave(s) of node groups, canary first.`,
      '',
      `AMI: ${l.ami(amiId)}`,
      `Execution: ${l.execution(req.executionArn)}`,
    ].join('\n'),
    severity: 'info',
    variant: req.variant.id,
  };
}

export function groupLine(g: GroupProgress): string {
  const what: Record<GroupProgress['state'], string> = {
    patched: `on the new AMI (launch template version ${g.toVersion})`,
    current: 'already on the new AMI, nothing to do',
    rolledBack: `rolled back to launch template version ${g.fromVersion}`,
    failed: `refresh ${g.status}; check the group (it was on version ${g.fromVersion})`,
    skipped: `skipped: ${g.reason}`,
    refreshing: `still refreshing (${g.percent}%)`,
    busy: 'waiting for another refresh',
  };
  return `  ${g.asgName}: ${what[g.state]}${g.reason && g.state !== 'skipped' ? ` - ${g.reason}` : ''}`;
}

export function waveNotice(req: VariantRun & { executionArn: string; region: string }, index: number, wave: WaveProgress): Notice {
  const total = req.variant.waves.length;
  const skipped = wave.groups.filter((g) => g.state === 'skipped').length;
  return {
    subject: subject(`Wave ${index + 1}/${total} done for ${req.variant.id}: ${wave.groups.length - skipped} patched${skipped ? `, ${skipped} skipped` : ''}`),
    message: [
      `Variant ${req.variant.id}, wave ${index + 1} of ${total}${index === 0 && req.variant.waves[0]?.some((g) => g.canary) ? ' (canary)' : ''} finished.`,
      ...wave.groups.map(groupLine),
      '',
      index + 1 < total ? `Next: wave ${index + 2}.` : 'That was the last wave.',
      `Execution: ${links(req.region).execution(req.executionArn)}`,
    ].join('\n'),
    severity: skipped ? 'warning' : 'info',
    variant: req.variant.id,
  };
}
