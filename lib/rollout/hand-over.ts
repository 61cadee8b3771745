import type { Rollout } from '../config.js';
import type { ClusterAccess } from '../eks/cluster.js';
import { summarize, type GroupProgress, type WaveProgress } from './refresh.js';
import type { WaveLimits } from './waves.js';
import { loadInFlight, PROGRESSING, withinLimit, type WaveLimit } from './admission.js';

/**
 * What a wave leaves the next one (carry-<i>.json in the run-state bucket, written and read by the state machine's own
 * s3 tasks): its groups still refreshing, and the access to their clusters. Empty when every group had finished.
 */
export interface Carry {
  groups: GroupProgress[];
  clusters?: Record<string, ClusterAccess>;
}

/** What a wave holds while it runs: its groups, the instances they replace at once, their extra instances, its state bytes. */
export interface WaveLoad {
  groups: number;
  inFlight: number;
  extra: number;
  bytes: number;
}

export const loadOf = (weights: readonly Omit<WaveLoad, 'groups'>[]): WaveLoad =>
  weights.reduce<WaveLoad>((l, w) => ({ groups: l.groups + 1, inFlight: l.inFlight + w.inFlight, extra: l.extra + w.extra, bytes: l.bytes + w.bytes }), { groups: 0, inFlight: 0, extra: 0, bytes: 0 });

/** Which waves hand over, and how (withHandOvers in wave-plan.ts marks their groups from it). */
export interface HandOvers {
  /** Each handing-over wave with the wave it hands over to. */
  to: Map<number, number>;
  /** The waves of `to` that hand over by proof, with how many of their own groups must have finished first. */
  proof: Map<number, number>;
  /** The waves handed over to by proof, with their share of the limits (admission.ts). */
  limits: Map<number, WaveLimit>;
}

/**
 * Hand-over (rollout.waveGate firstBatch): the waves that let the next round start while their slower groups keep
 * refreshing beside it, and the wave each hands them to. That wave then carries those groups and does not pass its own
 * gate before they finished, so at most two rounds refresh at once. The j-th wave of a round hands over to the j-th of
 * the next (`rounds`: the parts of one wave cut to fit a state, mostly one), where the next has one and the two fit the
 * state of one execution (the carried groups' progress rides in the later wave's state). The first round (the canary,
 * or the single test group) and the last one always finish whole.
 *
 * Where two rounds together fit every limit a single round must (groups, instances replaced at once, extra instances),
 * a wave hands over once each of its groups replaced its first batch (passedGate). Where they do not, it hands over by
 * proof (passedProof): once every one of its groups started, enough of them finished that the next round holds at most
 * `growth` times the groups proven by then (the rounds before and these), and what it still has refreshing fits the
 * share of the limits of the wave it hands over to (a group counts as proven only with an instance in service on the
 * new version). That wave then starts its own groups only as that share allows,
 * beside the carried ones (admission.ts). Under surge a group is replaced in one batch, so this is how its rounds overlap.
 */
export function handOverWaves(loads: readonly WaveLoad[], rounds: readonly (readonly number[])[], limits: WaveLimits, stateBudget: number): HandOvers {
  const out: HandOvers = { to: new Map(), proof: new Map(), limits: new Map() };
  const roundLoad = (r: readonly number[]) => r.reduce<WaveLoad>((l, i) => sum(l, loads[i] as WaveLoad), { groups: 0, inFlight: 0, extra: 0, bytes: 0 });
  const whole: WaveLimit = { groups: limits.maxConcurrentGroups, inFlight: limits.maxInstancesOutOfService, ...(limits.maxExtraInstances !== undefined && { extra: limits.maxExtraInstances }) };
  let proven = roundLoad(rounds[0] ?? []).groups;
  for (let r = 1; r + 1 < rounds.length; r++) {
    const [now, next] = [rounds[r] as readonly number[], rounds[r + 1] as readonly number[]];
    const [mine, theirs] = [roundLoad(now), roundLoad(next)];
    const fits = withinLimit(sum(mine, theirs), whole);
    // By proof: the groups of this round that must have finished, shared out over its parts as their groups are.
    const needed = Math.max(0, Math.ceil(theirs.groups / limits.growth) - proven);
    now.forEach((wave, j) => {
      const to = next[j];
      const [w, t] = [loads[wave] as WaveLoad, to === undefined ? undefined : (loads[to] as WaveLoad)];
      if (to === undefined || !t || w.bytes + t.bytes > stateBudget) return;
      out.to.set(wave, to);
      if (fits) return;
      out.proof.set(wave, Math.min(w.groups, Math.ceil((needed * w.groups) / Math.max(1, mine.groups))));
      out.limits.set(to, shareOf(t, theirs, limits));
    });
    proven += mine.groups;
  }
  return out;
}

/** A part's share of the limits, as large a part of each as its own groups hold of their round's: never less than its own. */
function shareOf(part: WaveLoad, round: WaveLoad, limits: WaveLimits): WaveLimit {
  const share = (limit: number, mine: number, all: number) => Math.max(mine, all > 0 ? Math.floor((limit * mine) / all) : limit);
  return {
    groups: Math.max(1, share(limits.maxConcurrentGroups, part.groups, round.groups)),
    inFlight: share(limits.maxInstancesOutOfService, part.inFlight, round.inFlight),
    ...(limits.maxExtraInstances !== undefined && { extra: share(limits.maxExtraInstances, part.extra, round.extra) }),
  };
}

const sum = (a: WaveLoad, b: WaveLoad): WaveLoad => ({ groups: a.groups + b.groups, inFlight: a.inFlight + b.inFlight, extra: a.extra + b.extra, bytes: a.bytes + b.bytes });

/** A group done with its wave: nothing left to replace and nothing failed (a partial or skipped group is reported, not retried). */
const finished = (g: GroupProgress) => g.state === 'patched' || g.state === 'partial' || g.state === 'current' || g.state === 'skipped';

/**
 * PercentageComplete once a refresh replaced its first batch of `batch` of `instances` (rounded down: AWS reports whole
 * per cents), at least 1. A group replaced in one batch (surge) passes only when it finished.
 */
export function firstBatchPercent(instances: number, batch: number): number {
  return Math.max(1, Math.floor((100 * Math.min(batch, instances)) / Math.max(1, instances)));
}

/** A refresh going forward (not Pending, Cancelling or rolling back: PercentageComplete falls back to 0 during a rollback). */
const FORWARD = new Set(['InProgress', 'Baking']);

/**
 * A handing-over wave passed its gate when the groups it carried from the wave before finished, and each of its own
 * groups finished or is refreshing forward past its first batch: Auto Scaling counts an instance in PercentageComplete
 * once it is healthy and warmed up (API Reference, InstanceRefresh), and where the readiness gate is on our launch hook
 * keeps it out of service until its node is Ready on the expected Windows build. Nothing failed, rolled back or waits
 * for someone else's refresh. A group without firstBatchPercent (a managed node group: EKS reports no percentage)
 * passes when it finished.
 */
export function passedGate(groups: readonly GroupProgress[]): boolean {
  return groups.every(
    (g) => finished(g) || (!g.carried && g.state === 'refreshing' && FORWARD.has(g.status ?? '') && g.firstBatchPercent !== undefined && !g.managed && g.percent >= g.firstBatchPercent),
  );
}

/**
 * The gate of a wave that hands over by proof: the groups it carried finished; every one of its own groups started
 * (none queued or waiting for someone else's refresh) and none failed, rolled back or is being cancelled; at least
 * `proof` of them finished on the new version (patched, or partly, with an instance in service on the new version); and what it still has refreshing fits `next`, the
 * share of the limits of the wave it hands over to.
 */
export function passedProof(groups: readonly GroupProgress[], proof: number, next: WaveLimit | undefined): boolean {
  if (groups.some((g) => !finished(g) && (g.carried || g.state !== 'refreshing' || !PROGRESSING.has(g.status ?? '')))) return false;
  const proven = groups.filter((g) => !g.carried && (g.state === 'patched' || g.state === 'partial') && !g.noneMoved).length;
  return proven >= proof && (!next || withinLimit(loadInFlight(groups), next));
}

/** At the gate: the finished groups are this wave's outcome; the ones still refreshing go on with the next wave. */
export function splitAtGate(groups: readonly GroupProgress[]): { done: GroupProgress[]; carried: GroupProgress[] } {
  return { done: groups.filter(finished), carried: groups.filter((g) => !finished(g)).map((g) => ({ ...g, carried: true })) };
}

/**
 * The wave just started, with the groups the wave before handed over to it: one poll watches them all. No carry: an
 * execution started before hand-over existed.
 */
export function withCarried(started: WaveProgress, carry: Carry | undefined, rollout: Rollout): WaveProgress {
  if (!carry?.groups.length) return started;
  const clusters = { ...carry.clusters, ...started.clusters };
  return summarize(started.startedAt, [...carry.groups, ...started.groups], rollout, { clusters: Object.keys(clusters).length ? clusters : undefined, limit: started.limit, stopped: started.stopped });
}
