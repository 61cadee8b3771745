import { subject, type Notice, variantsAttribute } from '../notice.js';
import type { NodeGroupPlan, RunPlan, VariantPlan, VariantRun } from '../plan/types.js';
import type { GroupProgress, WaveProgress } from '../rollout/refresh.js';
import { carryTarget } from '../store/header.js';
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

/**
 * The plan travels in the execution's state (Step Functions caps it at 256 KB) with its
 * notice inside: at 1,000 node groups one line per group alone is ~125 KB. So the notice
 * lists a sample (canary first) and points to the whole plan.
 */
const GROUPS_PER_WAVE = 10;
const GROUPS_LISTED = 40;
const WARNINGS_LISTED = 20;
const LINKS_PER_VARIANT = 3;
export const MESSAGE_CHARS = 20_000;
const FULL_PLAN = 'full plan: the execution output / `npm run patch -- --dry-run`';
const more = (n: number, indent: string) => `${indent}… and ${n} more (${FULL_PLAN})`;

/** The launch template version a group will most likely get, by ASG name (read by the plan; absent when unknown). */
export type NextVersions = ReadonlyMap<string, string>;

function waveLines(v: VariantPlan, budget: number, next: NextVersions): string[] {
  const lines: string[] = [];
  let left = budget;
  let w = 0;
  for (; w < v.waves.length && left > 0; w++) {
    const wave = v.waves[w] as VariantPlan['waves'][number];
    lines.push(`  wave ${w + 1}${wave.some((g) => g.canary) ? ' (canary)' : ''}: ${wave.length} node group(s)`);
    const shown = wave.slice(0, Math.min(GROUPS_PER_WAVE, left));
    left -= shown.length;
    for (const g of shown) {
      const to = next.get(g.asgName);
      lines.push(`    ${kindOf(g)}: launch template ${g.launchTemplateId} version ${g.version} -> ${to ? `${to} (new)` : 'a new version'}, now on ${g.imageId}${kubernetesSuffix(g)}`);
    }
    if (wave.length > shown.length) lines.push(more(wave.length - shown.length, '    '));
  }
  const rest = v.waves.slice(w);
  if (rest.length) lines.push(`  wave${rest.length > 1 ? `s ${w + 1}-${v.waves.length}` : ` ${w + 1}`}: ${rest.reduce((n, g) => n + g.length, 0)} node group(s) (${FULL_PLAN})`);
  return lines;
}

/** "asg ng-a" or "managed node group prod/win-ng (ASG eks-win-ng-…)": each group's kind, as the plan text shows it. */
function kindOf(g: NodeGroupPlan): string {
  return g.managed ? `managed node group ${g.managed.cluster}/${g.managed.nodegroup} (ASG ${g.asgName}; EKS updates and drains it)` : `asg ${g.asgName}`;
}

/** "; cluster prod: readiness gate, drain assumed by nth-queue" (nothing when the cluster is unknown: the warnings say so). */
function kubernetesSuffix(g: NodeGroupPlan): string {
  const k = g.kubernetes;
  if (!k) return '';
  const drain = k.drain === 'ours' ? 'drain' : k.drain === 'off' ? 'no drain' : `drain assumed by ${k.drain.assumed}`;
  return `; cluster ${k.cluster}: ${k.gate ? 'readiness gate' : 'no readiness gate'}, ${drain}`;
}

/** The lifecycle hooks the run adds, counted over all of a variant's groups (not only those listed). */
function hookLines(v: VariantPlan, hooks: RunPlan['lifecycleHooks']): string[] {
  const groups = v.waves.flat();
  const gated = groups.filter((g) => g.kubernetes?.gate).length;
  const drained = groups.filter((g) => g.kubernetes?.drain === 'ours').length;
  const assumed = groups.filter((g) => typeof g.kubernetes?.drain === 'object').length;
  const added = [...(hooks && gated ? [`${hooks.ready} (readiness gate) on ${gated}`] : []), ...(hooks && drained ? [`${hooks.drain} (drain) on ${drained}`] : [])];
  return [
    ...(added.length ? [`  lifecycle hooks added for the duration of each group's refresh: ${added.join(', ')} node group(s)`] : []),
    ...(assumed ? [`  ${assumed} node group(s) keep another drainer's termination hook (drain assumed)`] : []),
  ];
}

function planLines(plan: PlanFacts, where: RunLocation | undefined, next: NextVersions): string[] {
  const lines: string[] = [];
  // Every variant gets its canary and a first wave; a single variant gets a longer sample.
  const budget = Math.max(GROUPS_PER_WAVE + 1, Math.floor(GROUPS_LISTED / Math.max(1, plan.variants.length)));
  for (const v of plan.variants) {
    lines.push(`Variant ${v.id} (Windows Server ${v.windows} ${v.edition}, Kubernetes ${v.kubernetes})`);
    if (v.stages.build) {
      const last = v.lastBuiltSourceAmi ?? 'never built';
      lines.push(`  source AMI now: ${v.sourceAmi} (last built from: ${last}${v.lastBuiltSourceAmi === v.sourceAmi ? ', unchanged' : ''})`);
      lines.push(`  cached images: ${v.images.length ? v.images.join(', ') : 'none'}`);
    } else lines.push(`  rolling out existing AMI ${v.amiId}`);
    lines.push(`  stages: ${Object.entries(v.stages).filter(([, on]) => on).map(([s]) => s).join(' -> ')}`);
    lines.push(...waveLines(v, budget, next));
    lines.push(...hookLines(v, plan.lifecycleHooks));
    if (!v.waves.length) lines.push(v.nodeGroupsLimited ? '  no node groups selected' : '  no node groups (Karpenter-only or none configured): the AMI is built, no rollout');
    if (where) for (const g of v.waves.flat().slice(0, LINKS_PER_VARIANT)) lines.push(`  ASG ${g.asgName}: ${links(where.region).asg(g.asgName)}`);
  }
  for (const u of plan.upToDate) lines.push(`Variant ${u.variantId}: already built from ${u.sourceAmi}; nothing to do`);
  if (plan.warnings.length) {
    lines.push('', 'Warnings:', ...plan.warnings.slice(0, WARNINGS_LISTED).map((w) => `  - ${w}`));
    if (plan.warnings.length > WARNINGS_LISTED) lines.push(more(plan.warnings.length - WARNINGS_LISTED, '  '));
  }
  return lines;
}

/** Cuts the body at a line so body + tail stay within MESSAGE_CHARS (many variants or long warnings). */
function capped(body: string[], tail: string[]): string {
  const end = tail.join('\n');
  const text = body.join('\n');
  if (text.length + end.length + 1 <= MESSAGE_CHARS) return [text, end].filter(Boolean).join('\n');
  const note = `… message cut at ${MESSAGE_CHARS} characters (${FULL_PLAN})`;
  const room = MESSAGE_CHARS - end.length - note.length - 2;
  const cut = text.slice(0, Math.max(0, text.lastIndexOf('\n', room)));
  return [cut, note, end].filter(Boolean).join('\n');
}

function footer(where?: RunLocation): string[] {
  if (!where) return [];
  return ['', ...(where.startTime ? [`Started: ${where.startTime}`] : []), `Execution: ${links(where.region).execution(where.executionArn)}`];
}

/** The start message, or for a dry-run the plan (a sample of it past a few dozen node groups). */
export function startNotice(plan: PlanFacts, where?: RunLocation, next: NextVersions = new Map()): Notice {
  const warned = plan.warnings.length ? `, ${plan.warnings.length} warning(s)` : '';
  const head = plan.dryRun
    ? [`Dry-run plan for ${plan.executionName}. Nothing was changed.`, `To carry it out, start the same input without "dryRun": true (npm run patch -- without --dry-run).`]
    : [`Patch run ${plan.executionName} started (${plan.trigger}${plan.reason ? `: ${plan.reason}` : ''}).`, 'You will get a message when each image is ready, after each wave, and at the end.'];
  return {
    subject: subject(`${plan.dryRun ? 'Dry-run plan' : 'Patch run started'}: ${scopeOf(plan, warned)}`),
    message: capped([...head, '', ...planLines(plan, where, next)], footer(where)),
    severity: plan.warnings.length ? 'warning' : 'info',
    variant: variantsAttribute(plan.variants.map((v) => v.id)),
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
    variant: variantsAttribute(variants),
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
    variant: variantsAttribute([req.variant.id]),
  };
}

/** One node group's line: what a wave notice or a failure report says about it. */
export function groupLine(g: Pick<GroupProgress, 'asgName' | 'state' | 'fromVersion' | 'toVersion' | 'status' | 'reason' | 'oldInstances' | 'managed'> & { percent?: number }): string {
  const what: Record<GroupProgress['state'], string> = {
    patched: `on the new AMI (launch template version ${g.toVersion})`,
    // Partial: instances left on the old AMI, or (no old instances) pods that went with their node without eviction.
    partial: g.oldInstances?.length === 0 ? `NOT cleanly patched: on launch template version ${g.toVersion}, but pods left their node without eviction` : `NOT fully patched: on launch template version ${g.toVersion}, but instances remain on the old AMI`,
    current: 'already on the new AMI, nothing to do',
    rolledBack: `rolled back to launch template version ${g.fromVersion}`,
    failed: `refresh ${g.status}; check the group (it was on version ${g.fromVersion})`,
    skipped: `skipped: ${g.reason}`,
    refreshing: g.percent === undefined ? 'refresh not finished' : `still refreshing (${g.percent}%)`,
    busy: 'waiting for another refresh',
    queued: g.reason ? 'not started' : 'not started: waiting for room in its wave (its limits were in use)',
  };
  const name = g.managed ? `${g.managed.cluster}/${g.managed.nodegroup} (managed node group, ASG ${g.asgName})` : g.asgName;
  return `  ${name}: ${what[g.state]}${g.reason && g.state !== 'skipped' ? ` - ${g.reason}` : ''}`;
}

export function waveNotice(req: VariantRun & { executionArn: string; region: string }, index: number, wave: WaveProgress, handedOver: readonly GroupProgress[] = []): Notice {
  const total = req.variant.waves.length;
  const skipped = wave.groups.filter((g) => g.state === 'skipped').length;
  const partial = wave.groups.filter((g) => g.state === 'partial').length;
  // A wave that handed over (lib/rollout/hand-over.ts) says which of its groups are still refreshing, and that the next wave watches them.
  const going = handedOver.length ? `, ${handedOver.length} still refreshing` : '';
  return {
    subject: subject(
      `Wave ${index + 1}/${total} ${handedOver.length ? 'passed its gate' : 'done'} for ${req.variant.id}: ${wave.groups.length - skipped - partial} patched${partial ? `, ${partial} PARTLY (old instances left)` : ''}${skipped ? `, ${skipped} skipped` : ''}${going}`,
    ),
    message: [
      handedOver.length
        ? `Variant ${req.variant.id}, wave ${index + 1} of ${total} passed its gate: every group replaced at least its first batch (new instances healthy and warmed up, and Ready in the cluster where the readiness gate is on). ${handedOver.length} group(s) are still refreshing; wave ${carryTarget(req.variant, index) + 1} takes them over as the next round starts and does not pass before they finished.`
        : `Variant ${req.variant.id}, wave ${index + 1} of ${total}${index === 0 && req.variant.waves[0]?.some((g) => g.canary) ? ' (canary)' : ''} finished.`,
      ...wave.groups.map(groupLine),
      ...handedOver.map(groupLine),
      '',
      index + 1 < total ? `Next: wave ${index + 2}.` : 'That was the last wave.',
      `Execution: ${links(req.region).execution(req.executionArn)}`,
    ].join('\n'),
    severity: skipped || partial ? 'warning' : 'info',
    variant: variantsAttribute([req.variant.id]),
  };
}
