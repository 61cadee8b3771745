import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The CLI's progress stages, read from the state machines themselves (statemachines/*.asl.json): a few states start a
 * stage (the markers below, in the order a run meets them); every other state belongs to the latest stage on the paths
 * that lead to it (Next, Choices, Default, Catch: a Catch is not always a failure, e.g. NoImageParameterYet). Fail
 * states and the entries of the failure paths are "failed". So a state added to a definition takes the stage it sits
 * in, and the stage of a run never goes backwards (its rank only grows).
 */
const MARKERS: [state: string, stage: string][] = [
  // patch-run
  ['ValidateInput', 'validating input'],
  ['ReadAccount', 'planning'],
  ['NotifyDryRunPlan', 'dry-run plan sent'],
  ['NotifyRunSkipped', 'skipped (another run is active)'],
  ['NotifyRunStarted', 'patching variants'],
  ['SummarizeRun', 'summarizing'],
  // patch-variant
  ['UseGivenImage', 'given image'],
  ['BuildPatchedImage', 'image build'],
  ['EnableFastLaunch', 'fast launch'],
  ['NameImageParameter', 'rollout'],
  ['RetireOldImages', 'retiring old images'],
  ['RecordSuccess', 'done'],
];
/** Where the failure paths begin (a Fail state is failed too). */
const FAILURE_ENTRIES = ['ReportRunFailure', 'ShouldRestoreImageParameter?', 'ReportVariantFailure'];
export const FAILED = 'failed';
export const DEFINITIONS = ['patch-run', 'patch-variant'] as const;

interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { Next?: string }[];
  Catch?: { Next?: string }[];
  Iterator?: AslMachine;
  ItemProcessor?: AslMachine;
  Branches?: AslMachine[];
}
interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
}

export interface Stage {
  stage: string;
  rank: number;
}

/** Each state of the definitions → its stage and rank. */
export function stagesOf(machines: AslMachine[]): Map<string, Stage> {
  const markerRank = new Map(MARKERS.map(([s], i) => [s, i]));
  const failedRank = MARKERS.length;
  const edges: { from: string; to: string }[] = [];
  const types = new Map<string, string>();
  const collect = (m: AslMachine, parent?: string) => {
    if (parent) edges.push({ from: parent, to: m.StartAt });
    for (const [name, s] of Object.entries(m.States)) {
      types.set(name, s.Type);
      for (const to of [s.Next, s.Default, ...[...(s.Choices ?? []), ...(s.Catch ?? [])].map((c) => c.Next)]) if (to) edges.push({ from: name, to });
      for (const inner of [s.Iterator, s.ItemProcessor, ...(s.Branches ?? [])]) if (inner) collect(inner, name);
    }
  };
  machines.forEach((m) => collect(m));
  const rank = new Map<string, number>();
  for (const [name, type] of types) {
    const r = markerRank.get(name) ?? (type === 'Fail' || FAILURE_ENTRIES.includes(name) ? failedRank : undefined);
    if (r !== undefined) rank.set(name, r);
  }
  const fixed = new Set(rank.keys());
  // Fixpoint of "the highest stage that leads here": ranks only grow and are bounded, so it ends.
  for (let changed = true; changed; ) {
    changed = false;
    for (const e of edges) {
      if (fixed.has(e.to)) continue;
      const r = rank.get(e.from);
      if (r !== undefined && r > (rank.get(e.to) ?? -1)) {
        rank.set(e.to, r);
        changed = true;
      }
    }
  }
  const out = new Map<string, Stage>();
  for (const [name, r] of rank) out.set(name, { stage: r === failedRank ? FAILED : (MARKERS[r]?.[1] as string), rank: r });
  return out;
}

export function loadDefinitions(dir = join(import.meta.dirname, '..', 'statemachines')): AslMachine[] {
  return DEFINITIONS.map((d) => JSON.parse(readFileSync(join(dir, `${d}.asl.json`), 'utf8')) as AslMachine);
}

export const MARKER_STATES = [...MARKERS.map(([s]) => s), ...FAILURE_ENTRIES];
