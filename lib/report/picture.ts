/**
 * A picture of one run: a timeline with a row per variant and per node group (or per wave on a large fleet), each row
 * a set of bars on the run's clock, and the notifications and failures as markers. Pure: the rehearsal
 * (local/report.ts) and a deployed run's execution history (lib/report/history.ts) both build one; html.ts draws it.
 */
export type BarKind = 'image' | 'fastlaunch' | 'rollout' | 'wave' | 'refresh' | 'batch' | 'gate' | 'drain' | 'rollback' | 'retire' | 'recover';

export interface Bar {
  kind: BarKind;
  /** Epoch milliseconds. */
  start: number;
  end: number;
  label: string;
  failed?: boolean;
}

export interface Marker {
  kind: 'notification' | 'failure';
  t: number;
  label: string;
}

export interface Row {
  id: string;
  label: string;
  level: 'run' | 'variant' | 'group' | 'wave';
  variant: string;
  bars: Bar[];
  markers: Marker[];
}

export interface RunPicture {
  title: string;
  subtitle: string;
  start: number;
  end: number;
  rows: Row[];
  /** Node group rows were folded into one row per wave (more groups than `maxGroupRows`). */
  collapsed: boolean;
}

/** What each bar kind means, for the page's legend and hover text. */
export const BAR_KINDS: Record<BarKind, string> = {
  image: 'Image Builder build of the patched AMI (build and tests)',
  fastlaunch: 'Fast Launch: pre-provisioned snapshots being made',
  rollout: 'Rolling out: launch templates, instance refreshes, wave checks',
  wave: 'One wave of node groups (the first is the canary)',
  refresh: 'Instance refresh of a node group (or a managed node group update)',
  batch: 'A batch of instances the refresh replaced (launch to boot)',
  gate: 'Readiness gate: a new node waited for until Ready (failed = refused)',
  drain: 'Drain of an old node before it terminates',
  rollback: 'Rollback to the previous launch template',
  retire: 'Retiring old images and recording the success',
  recover: 'After a failure: restoring the image parameter, reporting',
};

/** One state a Step Functions execution entered (name and time), as the history or the rehearsal tells. */
export interface StateEntry {
  state: string;
  t: number;
}

/** Which phase of a variant each state belongs to (patch-variant.asl.json); states not named end the phase before them. */
const PHASE_OF: Record<string, BarKind> = {
  BuildPatchedImage: 'image',
  WaitBeforeCheckingImage: 'image',
  CheckImage: 'image',
  'IsImageReady?': 'image',
  EnableFastLaunch: 'fastlaunch',
  WaitBeforeCheckingFastLaunch: 'fastlaunch',
  CheckFastLaunch: 'fastlaunch',
  'IsFastLaunchReady?': 'fastlaunch',
  RollOutWaves: 'rollout',
  UpdateLaunchTemplates: 'rollout',
  ReadCarried: 'rollout',
  StartInstanceRefreshes: 'rollout',
  WaitBeforeCheckingWave: 'rollout',
  CheckWave: 'rollout',
  'IsWaveDone?': 'rollout',
  StopTheRound: 'rollout',
  'HasTheWaveFailed?': 'rollout',
  WaitBeforeReadingTheRound: 'rollout',
  ReadTheRound: 'rollout',
  SaveCarry: 'rollout',
  'IsCanaryWave?': 'rollout',
  PublishImageParameterAfterCanary: 'rollout',
  NotifyWaveDone: 'rollout',
  WaveDone: 'rollout',
  WaveFailed: 'rollout',
  RetireOldImages: 'retire',
  RecordSuccess: 'retire',
  'ShouldRestoreImageParameter?': 'recover',
  ReadImageParameterAfterFailure: 'recover',
  RestoreImageParameter: 'recover',
  DeleteImageParameter: 'recover',
  ReportVariantFailure: 'recover',
  NotifyVariantFailure: 'recover',
};
/** The phase a state belongs to, if any. */
export const phaseOf = (state: string): BarKind | undefined => PHASE_OF[state];

/** The state each wave (one Map iteration of RollOutWaves) begins with. */
const WAVE_START = 'UpdateLaunchTemplates';

const LABEL: Partial<Record<BarKind, string>> = { image: 'image build', fastlaunch: 'Fast Launch', rollout: 'rollout', retire: 'retire old images', recover: 'failure handling' };

/** A variant's phases as bars: a phase runs from its first state to the next state of another phase (or `end`). */
export function phaseBars(entries: StateEntry[], end: number, failedAt?: number): Bar[] {
  const sorted = [...entries].sort((a, b) => a.t - b.t);
  const bars: Bar[] = [];
  let open: { kind: BarKind; start: number } | undefined;
  const close = (t: number) => {
    if (open) bars.push({ kind: open.kind, start: open.start, end: Math.max(t, open.start), label: LABEL[open.kind] ?? open.kind });
    open = undefined;
  };
  for (const e of sorted) {
    const kind = PHASE_OF[e.state];
    if (open && kind === open.kind) continue;
    close(e.t);
    if (kind) open = { kind, start: e.t };
  }
  close(end);
  // The phase a failure happened in is the failed one.
  if (failedAt !== undefined) for (const b of bars) if (b.start <= failedAt && failedAt <= b.end && b.kind !== 'recover') b.failed = true;
  return bars;
}

/** The waves of a variant: each from its first state to the next wave's first state or the end of the rollout. */
export function waveBars(entries: StateEntry[], rolloutEnd: number): Bar[] {
  const starts = entries.filter((e) => e.state === WAVE_START).map((e) => e.t).sort((a, b) => a - b);
  return starts.map((start, i) => ({ kind: 'wave' as const, start, end: Math.max(start, starts[i + 1] ?? rolloutEnd), label: i === 0 ? 'wave 1 (canary)' : `wave ${i + 1}` }));
}

export interface GroupTimeline {
  variant: string;
  name: string;
  bars: Bar[];
  markers: Marker[];
}

export interface PictureInput {
  title: string;
  subtitle: string;
  start: number;
  end: number;
  run: { bars: Bar[]; markers: Marker[] };
  variants: { variant: string; entries: StateEntry[]; end: number; failedAt?: number; markers: Marker[] }[];
  groups: GroupTimeline[];
  /** More node groups than this fold into one row per wave (default 40). */
  maxGroupRows?: number;
}

/** Builds the rows: the run, then each variant followed by its node groups, or by its waves on a large fleet. */
export function buildPicture(input: PictureInput): RunPicture {
  const max = input.maxGroupRows ?? 40;
  const collapsed = input.groups.length > max;
  const rows: Row[] = [{ id: 'run', label: 'run', level: 'run', variant: '', bars: input.run.bars, markers: input.run.markers }];
  for (const v of input.variants) {
    const phases = phaseBars(v.entries, v.end, v.failedAt);
    const rolloutEnd = Math.max(...phases.filter((b) => b.kind === 'rollout').map((b) => b.end), v.entries[0]?.t ?? input.start);
    const waves = waveBars(v.entries, rolloutEnd);
    const groups = input.groups.filter((g) => g.variant === v.variant);
    // Listed groups: the variant's row shows its waves under its phases; folded groups: a row per wave.
    rows.push({ id: `variant:${v.variant}`, label: v.variant, level: 'variant', variant: v.variant, bars: collapsed ? phases : [...phases, ...waves], markers: v.markers });
    if (!collapsed) {
      for (const g of groups) rows.push({ id: `group:${v.variant}:${g.name}`, label: g.name, level: 'group', variant: v.variant, bars: g.bars, markers: g.markers });
      continue;
    }
    waves.forEach((w, i) => {
      // A group belongs to the wave its first refresh started in.
      const members = groups.filter((g) => {
        const first = Math.min(...g.bars.filter((b) => b.kind === 'refresh').map((b) => b.start));
        return first >= w.start && (first < (waves[i + 1]?.start ?? Infinity));
      });
      const count = (kind: BarKind) => members.reduce((n, g) => n + g.bars.filter((b) => b.kind === kind).length, 0);
      const failed = members.filter((g) => g.bars.some((b) => b.failed)).length;
      const refreshes = members.flatMap((g) => g.bars.filter((b) => b.kind === 'refresh'));
      const span = refreshes.length ? { start: Math.min(...refreshes.map((b) => b.start)), end: Math.max(...refreshes.map((b) => b.end)) } : { start: w.start, end: w.end };
      const summary = `${members.length} node group(s), ${count('batch')} batch(es), ${count('gate')} gate(s), ${count('drain')} drain(s), ${count('rollback')} rollback(s)${failed ? `, ${failed} failed` : ''}`;
      const bars: Bar[] = [
        { ...w, label: `${w.label}: ${summary}`, ...(failed ? { failed: true } : {}) },
        ...(refreshes.length ? [{ kind: 'refresh' as const, ...span, label: `${w.label}: refreshes of ${members.length} node group(s)`, ...(failed ? { failed: true } : {}) }] : []),
        ...members.flatMap((g) => g.bars.filter((b) => b.kind === 'rollback')),
      ];
      rows.push({ id: `wave:${v.variant}:${i + 1}`, label: `${w.label}: ${members.length} group(s)`, level: 'wave', variant: v.variant, bars, markers: members.flatMap((g) => g.markers) });
    });
  }
  return { title: input.title, subtitle: input.subtitle, start: input.start, end: Math.max(input.end, input.start + 1000), rows, collapsed };
}
