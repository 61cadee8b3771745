import { TAG } from '../tags.js';
import type { AmiFacts } from '../amis.js';
import type { Variant } from '../config.js';

/** AWS's EKS-optimized Windows AMI names: Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12. */
const EKS_OPTIMIZED_NAME = /^Windows_Server-(\d{4})-English-(Core|Full)-EKS_Optimized-(1\.\d+)-/;

type AmiVariant = Pick<Variant, 'id' | 'windows' | 'edition' | 'kubernetes'>;

const describe = (v: { windows: string; edition: string; kubernetes: string }) => `Windows Server ${v.windows} ${v.edition} for Kubernetes ${v.kubernetes}`;

/**
 * An explicit AMI skips AWS's parameter, so nothing else ties it to the variant: a
 * rollout-only rerun with another variant's AMI id would put Windows Server 2019 on
 * 2022 nodes (pods built for ltsc2022 no longer start). Rules:
 * - amiId (rolled out as is) must carry our variant tag with this variant's id;
 * - baseAmi named like AWS's EKS-optimized AMIs must be that variant's Windows version,
 *   edition and Kubernetes version (a custom-named base AMI is the operator's call).
 */
export function explicitAmiProblems(field: 'baseAmi' | 'amiId', id: string, ami: AmiFacts | undefined, variant: AmiVariant): string[] {
  const at = `input.${field}`;
  if (!ami) return [`${at}: AMI ${id} does not exist in this region or is not shared with this account`];
  if (!ami.windows) return [`${at}: AMI ${id} (${ami.name}) is not a Windows AMI`];
  if (field === 'amiId') {
    const tag = ami.tags[TAG.variant];
    if (tag === variant.id) return [];
    const has = tag === undefined ? `has no ${TAG.variant} tag (not built by this pipeline)` : `is tagged ${TAG.variant}=${tag}`;
    return [`${at}: AMI ${id} (${ami.name}) ${has}, but the run is for variant ${variant.id}: give an AMI this pipeline built for ${variant.id}`];
  }
  const m = EKS_OPTIMIZED_NAME.exec(ami.name);
  if (!m) return [];
  const [, windows, edition, kubernetes] = m as unknown as [string, string, string, string];
  if (windows === variant.windows && edition === variant.edition && kubernetes === variant.kubernetes) return [];
  return [`${at}: AMI ${id} (${ami.name}) is ${describe({ windows, edition, kubernetes })}, but variant ${variant.id} is ${describe(variant)}`];
}

/**
 * Who owns an explicit AMI. Tags prove nothing (anyone with ec2:CreateTags sets them); the
 * owner is AWS's fact: an amiId to roll out must be this account's own (the pipeline built
 * it); a baseAmi this account's or Amazon's (ImageOwnerAlias "amazon").
 */
export function explicitAmiOwnerProblems(field: 'baseAmi' | 'amiId', id: string, ami: AmiFacts | undefined, accountId: string | undefined): string[] {
  if (!ami) return [];
  const mine = accountId !== undefined && ami.ownerId === accountId;
  if (mine || (field === 'baseAmi' && ami.ownerAlias === 'amazon')) return [];
  const who = `owned by account ${ami.ownerId ?? 'unknown'}${ami.ownerAlias ? ` (${ami.ownerAlias})` : ''}`;
  return field === 'amiId'
    ? [`input.amiId: AMI ${id} (${ami.name}) is ${who}, not by this account${accountId ? ` (${accountId})` : ''}: roll out only an AMI this account built`]
    : [`input.baseAmi: AMI ${id} (${ami.name}) is ${who}, neither Amazon nor this account${accountId ? ` (${accountId})` : ''}: build only from Amazon's AMIs or this account's own`];
}

/** ASGs that more than one variant selects: each would get two AMIs and two refreshes in one run. */
export function sharedGroupProblems(groupsByVariant: { variantId: string; asgNames: string[] }[]): string[] {
  const owners = new Map<string, string[]>();
  for (const { variantId, asgNames } of groupsByVariant) for (const name of new Set(asgNames)) owners.set(name, [...(owners.get(name) ?? []), variantId]);
  return [...owners].filter(([, ids]) => ids.length > 1).map(([name, ids]) => `Auto Scaling group "${name}" is selected by variants ${ids.join(' and ')}: a node group belongs to one variant; change the asgName or tag selectors so only one selects it`);
}

const WARNED_NAMES = 5;

/**
 * The same warning for many ASGs ("ASG x has no termination lifecycle hook…") becomes one
 * line with a count and a few names: one line per group for a 1,000-group fleet would
 * push the plan (carried twice: per variant and for the run) past Step Functions' 256 KB.
 */
export function collapseWarnings(warnings: string[], asgNames: string[]): string[] {
  const names = new Set(asgNames);
  const byRest = new Map<string, string[]>();
  const out: (string | { rest: string })[] = [];
  for (const w of warnings) {
    const m = /^ASG (\S+?)(:? .*)$/s.exec(w);
    if (!m || !names.has(m[1] as string)) {
      out.push(w);
      continue;
    }
    const rest = m[2] as string;
    if (!byRest.has(rest)) {
      byRest.set(rest, []);
      out.push({ rest });
    }
    byRest.get(rest)?.push(m[1] as string);
  }
  return out.flatMap((w) => {
    if (typeof w === 'string') return [w];
    const asgs = byRest.get(w.rest) ?? [];
    if (asgs.length <= WARNED_NAMES) return asgs.map((a) => `ASG ${a}${w.rest}`);
    return [`${asgs.length} ASGs (${asgs.slice(0, WARNED_NAMES).join(', ')} and ${asgs.length - WARNED_NAMES} more)${w.rest}`];
  });
}
