import type { Rollout } from '../config.js';
import type { ClusterAccess } from '../eks/cluster.js';
import { summarize, type GroupProgress, type WaveProgress } from './refresh.js';
import type { WaveLimits } from './waves.js';

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

/**
 * Hand-over (rollout.waveGate firstBatch): the waves that let the next round start once each of their groups replaced
 * its first batch, while their slower groups keep refreshing beside the next round, and the wave each hands them to.
 * That wave then carries those groups and does not pass its own gate before they finished, so at most two rounds refresh
 * at once, and only where the two together fit every limit a single round must (groups, instances replaced at once,
 * extra instances). The j-th wave of a round hands over to the j-th of the next (`rounds`: the parts of one wave cut
 * to fit a state, mostly one), where the next has one and the two fit the state of one execution (the carried groups'
 * progress rides in the later wave's state). The first round (the canary, or the single test group) and the last one
 * always finish whole. Returns each handing-over wave with the wave it hands over to.
 */
export function handOverWaves(loads: readonly WaveLoad[], rounds: readonly (readonly number[])[], limits: WaveLimits, stateBudget: number): Map<number, number> {
  const out = new Map<number, number>();
  const roundLoad = (r: readonly number[]) => r.reduce<WaveLoad>((l, i) => sum(l, loads[i] as WaveLoad), { groups: 0, inFlight: 0, extra: 0, bytes: 0 });
  for (let r = 1; r + 1 < rounds.length; r++) {
    const [now, next] = [rounds[r] as readonly number[], rounds[r + 1] as readonly number[]];
    const both = sum(roundLoad(now), roundLoad(next));
    const fits =
      both.groups <= limits.maxConcurrentGroups && both.inFlight <= limits.maxInstancesOutOfService && (limits.maxExtraInstances === undefined || both.extra <= limits.maxExtraInstances);
    if (!fits) continue;
    now.forEach((wave, j) => {
      const to = next[j];
      if (to !== undefined && (loads[wave] as WaveLoad).bytes + (loads[to] as WaveLoad).bytes <= stateBudget) out.set(wave, to);
    });
  }
  return out;
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
  return summarize(started.startedAt, [...carry.groups, ...started.groups], rollout, Object.keys(clusters).length ? clusters : undefined);
}
