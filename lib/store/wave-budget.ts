import { PlanError } from '../errors.js';
import type { NodeGroupPlan } from '../plan/types.js';

/**
 * A wave is the one part of a variant's execution state that grows with its number of groups: while it runs, the
 * state holds each group's progress (its target version, refresh id, status, reason). Step Functions fails an execution
 * whose state passes 256 KB (States.DataLimitExceeded, which no Catch handles), so a wave holds at most what fits in
 * WAVE_STATE_BUDGET, leaving the rest for the variant's header, the clusters' endpoints and the wave's notice.
 */
export const WAVE_STATE_BUDGET = 160 * 1024;

/**
 * Two waves side by side (a hand-over: lib/rollout/hand-over.ts) share one state: the later wave carries the earlier
 * one's refreshing groups. Their estimate together stays within this, which leaves 32 KB for the header; the estimate
 * (groupStateBytes) is about twice a group's measured progress and notice line together (bench/RESULTS.md, largest state).
 */
export const HAND_OVER_STATE_BUDGET = 224 * 1024;

/**
 * A group's progress, estimated from its plan entry: the progress repeats the entry's name, template and cluster
 * and adds about 400 bytes (refresh id, status, percent, a reason of up to 200 characters); twice the entry covers
 * the copy of its mixed instances policy a target may carry. Measured: 600 bytes a group with 80-character names.
 */
export function groupStateBytes(g: NodeGroupPlan): number {
  return 2 * Buffer.byteLength(JSON.stringify(g)) + 400;
}

export const waveStateBytes = (wave: readonly NodeGroupPlan[]) => wave.reduce((n, g) => n + groupStateBytes(g), 0);

/**
 * The parts of a variant whose waves do not all fit a state are at most this large: two of them side by side in one
 * state (a part and the one the part before it hands over to it) fit HAND_OVER_STATE_BUDGET.
 */
export const PART_STATE_BUDGET = HAND_OVER_STATE_BUDGET / 2;

/** The waves cut to fit a state, and the rounds they run in: the parts of one sized wave run side by side, each in its own state. */
export interface FittedWaves {
  waves: NodeGroupPlan[][];
  /** Indexes into `waves`, one list per sized wave, in order: a round passes once every one of its parts passed. */
  rounds: number[][];
}

/**
 * The waves as sized (lib/rollout/waves.ts), each one that would not fit its state cut into equal consecutive parts
 * that do, in the same order; the parts of one wave make one round. Where any wave must be cut, every wave after the
 * canary's is cut into parts of PART_STATE_BUDGET, and into at least as many as the round before has (as far as it has
 * groups), so that each part of a round can hand over to a part of the next (lib/rollout/wave-plan.ts). The canary wave
 * is never cut (a second canary wave would not be one): too many canaries for one state is a PlanError naming the
 * variant and the fix.
 */
export function fitWavesToState(variantId: string, waves: readonly NodeGroupPlan[][]): FittedWaves {
  const out: FittedWaves = { waves: [], rounds: [] };
  const cut = waves.some((w, i) => i > 0 && waveStateBytes(w) > WAVE_STATE_BUDGET);
  waves.forEach((wave, i) => {
    const bytes = waveStateBytes(wave);
    if (i === 0 && bytes > WAVE_STATE_BUDGET && wave.some((g) => g.canary))
      throw new PlanError(
        `variants.${variantId}.nodeGroups: ${wave.length} canary groups make a first wave of about ${Math.ceil(bytes / 1024)} KB of state, over the ${WAVE_STATE_BUDGET / 1024} KB a wave may hold: mark fewer groups canary: true`,
      );
    const before = i > 1 ? (out.rounds.at(-1)?.length ?? 1) : 1;
    const count = i === 0 || !cut ? Math.ceil(bytes / WAVE_STATE_BUDGET) : Math.max(Math.ceil(bytes / PART_STATE_BUDGET), Math.min(before, wave.length));
    const parts = count <= 1 ? [wave] : Array.from({ length: count }, (_, j) => wave.slice(Math.floor((j * wave.length) / count), Math.floor(((j + 1) * wave.length) / count)));
    out.rounds.push(parts.map((_, j) => out.waves.length + j));
    out.waves.push(...parts);
  });
  return out;
}
