/**
 * Admission: a wave that a wave of the round before hands over to by proof (hand-over.ts) shares the variant's limits
 * with the groups it carried, which are still refreshing. It starts its own groups, in plan order, as those limits
 * allow, and the rest wait (state `queued`) until finished groups free room; a wave check starts them then.
 *
 * Pure: the arithmetic of what is in flight and what may start.
 */

/** What one group holds while it refreshes, weighed by the plan from its desired capacity (lib/rollout/wave-plan.ts). */
export interface GroupLoad {
  /** Instances its refresh takes out of service at once (one batch). */
  inFlight: number;
  /** Instances above desired capacity while a batch launches (MaxHealthyPercentage over 100). */
  extra: number;
}

/** A wave's share of the variant's limits: what its refreshes, carried ones included, may hold at once. */
export interface WaveLimit {
  groups: number;
  inFlight: number;
  /** Surge only: extra instances. */
  extra?: number;
}

interface Weighed {
  asgName: string;
  state: string;
  status?: string | null;
  load?: GroupLoad;
}

/** A refresh that is going forward or about to: not cancelling, not rolling back. */
export const PROGRESSING: ReadonlySet<string> = new Set(['Pending', 'InProgress', 'Baking']);

/**
 * Which of the groups went wrong, or null while all is well: one failed or rolled back, or its refresh is rolling back
 * or being cancelled (it can only end failed or rolled back).
 */
export function wentWrong(groups: readonly Weighed[]): string | null {
  const bad = groups.find((g) => g.state === 'failed' || g.state === 'rolledBack' || (g.state === 'refreshing' && !PROGRESSING.has(g.status ?? '')));
  if (!bad) return null;
  const what = bad.state === 'refreshing' ? `is ${bad.status ?? 'not going forward'}` : bad.state === 'failed' ? 'failed' : 'rolled back';
  return `${bad.asgName} ${what}`;
}

/** Why a wave must start nothing more because of its own groups (wentWrong), or null while all is well. */
export function stopReason(groups: readonly Weighed[]): string | null {
  const bad = wentWrong(groups);
  return bad && `the wave starts nothing more: ${bad}`;
}

/** A start under way or about to be tried: a refresh running, or one waiting for someone else's to end. */
const inFlight = (g: Weighed) => g.state === 'refreshing' || g.state === 'busy';

/** What the wave's groups in flight hold now (a group the plan did not weigh counts as a group only). */
export function loadInFlight(groups: readonly Weighed[]): Required<WaveLimit> {
  return groups.filter(inFlight).reduce((l, g) => add(l, g.load), { groups: 0, inFlight: 0, extra: 0 });
}

const add = (l: Required<WaveLimit>, load: GroupLoad | undefined): Required<WaveLimit> => ({
  groups: l.groups + 1,
  inFlight: l.inFlight + (load?.inFlight ?? 0),
  extra: l.extra + (load?.extra ?? 0),
});

export const withinLimit = (l: Required<WaveLimit>, limit: WaveLimit): boolean =>
  l.groups <= limit.groups && l.inFlight <= limit.inFlight && (limit.extra === undefined || l.extra <= limit.extra);

/**
 * The queued groups that may start now, in plan order: each while the wave's load with it stays within `limit`; the
 * first that does not fit stops the line (a later, smaller one does not pass it). A group over the limit on its own
 * starts when nothing else is in flight, as a single group over the budget gets a wave of its own (waves.ts). None
 * once stopReason gives one: the wave fails, and what it had not started stays unstarted.
 */
export function admissible(groups: readonly Weighed[], limit: WaveLimit | undefined): Set<string> {
  const out = new Set<string>();
  if (stopReason(groups)) return out;
  let load = loadInFlight(groups);
  for (const g of groups) {
    if (g.state !== 'queued') continue;
    const next = add(load, g.load);
    if (limit && load.groups > 0 && !withinLimit(next, limit)) break;
    out.add(g.asgName);
    load = next;
  }
  return out;
}

/**
 * How many refresh lengths the wave's groups may need one after another: its groups packed in plan order into rounds
 * that each fit `limit` (the groups still in flight, carried ones included, in the first), each round waiting for the
 * whole one before. Admission starts groups as soon as room frees, so it never needs more. A wave without a limit
 * starts every group at once: 1.
 */
export function admissionRounds(groups: readonly Weighed[], limit: WaveLimit | undefined): number {
  if (!limit) return 1;
  let rounds = 1;
  let load = loadInFlight(groups);
  for (const g of groups) {
    if (g.state !== 'queued') continue;
    const next = add(load, g.load);
    if (load.groups > 0 && !withinLimit(next, limit)) {
      rounds += 1;
      load = add({ groups: 0, inFlight: 0, extra: 0 }, g.load);
    } else load = next;
  }
  return rounds;
}
