import type { BundleMetrics } from './bundles.js';
import type { LinearFit } from './fit.js';
import type { FleetMetrics } from './measure.js';
import type { Exposure } from './exposure.js';
import type { Target } from './targets.js';

/** Markdown for RESULTS.md and the terminal alike. */
export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export const hm = (seconds: number) => {
  // Round to the minute first, so 9 h 59.6 min reads 10 h 00 min, never 9 h 60 min.
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
};
const n1 = (x: number) => x.toFixed(1);
const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;

export function fleetTable(runs: readonly FleetMetrics[]): string {
  const row = (name: string, f: (r: FleetMetrics) => string | number) => [name, ...runs.map(f)];
  return table(
    ['', ...runs.map((r) => `${r.nodeGroups} node groups`)],
    [
      row('outcome', (r) => `${r.status}, ${r.patchedGroups} patched${r.failure ? ` (${r.failure})` : ''}`),
      row('simulated end-to-end', (r) => hm(r.simulatedSeconds)),
      row("critical path of AWS's own work", (r) => hm(r.criticalSeconds)),
      row('overhead (end-to-end / critical path)', (r) => r.overhead.toFixed(3)),
      row('state transitions, largest execution', (r) => r.maxTransitions),
      row('largest state data of any execution (limit 262,144 bytes)', (r) => `${Math.round(r.maxStateBytes / 1024)} KB`),
      row('state transitions, total', (r) => r.totalTransitions),
      row('state transitions per node group', (r) => n1(r.totalTransitions / r.nodeGroups)),
      row('Lambda invocations', (r) => r.invocations),
      row('AWS API calls', (r) => r.calls),
      row('AWS API calls per node group', (r) => n1(r.calls / r.nodeGroups)),
      row('image builds per variant', (r) => Object.values(r.imageBuildsPerVariant).join(' / ')),
      row('wall time of the rehearsal', (r) => `${(r.wallMs / 1000).toFixed(2)} s`),
    ],
  );
}

export function operationsTable(runs: readonly FleetMetrics[]): string {
  const ops = [...new Set(runs.flatMap((r) => Object.keys(r.callsByOperation)))].sort();
  const last = runs.at(-1);
  return table(
    ['operation', ...runs.map((r) => `${r.nodeGroups}`), ...(last ? [`per node group at ${last.nodeGroups}`] : [])],
    ops.map((op) => [op, ...runs.map((r) => r.callsByOperation[op] ?? 0), ...(last ? [((last.callsByOperation[op] ?? 0) / last.nodeGroups).toFixed(2)] : [])]),
  );
}

export function bundlesTable(bundles: readonly BundleMetrics[]): string {
  return table(
    ['function', 'minified bundle', 'module init (median)', 'samples (ms)', 'heaviest packages'],
    bundles.map((b) => [
      b.fn,
      kb(b.bytes),
      `${b.initMs.toFixed(0)} ms`,
      b.initSamplesMs.map((s) => s.toFixed(0)).join(' '),
      b.error ? `not measured: ${b.error}` : b.heaviest.map(([p, bytes]) => `${p} ${kb(bytes)}`).join(', '),
    ]),
  );
}

export function fitTable(fits: readonly { metric: string; fit: LinearFit; ratio: number }[]): string {
  return table(
    ['metric', 'slope (per node group)', 'intercept', 'r²', 'per-group cost at 1,000 / at 100'],
    fits.map((f) => [f.metric, f.fit.slope.toFixed(2), f.fit.intercept.toFixed(0), f.fit.r2.toFixed(4), f.ratio.toFixed(2)]),
  );
}

export function targetsTable(targets: readonly Target[]): string {
  return table(['target', 'measured', 'result'], targets.map((t) => [t.name, t.measured, t.pass ? 'PASS' : '**FAIL**']));
}

/** One rehearsal of the exposure section: the fleet, the setting, and what the window came to against its bound. */
export interface ExposureRun {
  setting: string;
  metrics: FleetMetrics;
  exposure: Exposure;
}

export function exposureTable(runs: readonly ExposureRun[]): string {
  return table(
    ['node groups', 'setting', 'outcome', 'waves per variant', 'exposure window', 'lower bound', 'ratio', 'ratio, earlier bound', 'transitions, largest execution', 'largest state', 'wall time'],
    runs.map(({ setting, metrics: m, exposure: e }) => [
      m.nodeGroups,
      setting,
      `${m.status}${m.failure ? ` (${m.failure})` : ''}`,
      wavesOf(m),
      // A run that failed after every group was patched (e.g. a state over 256 KB in the summary) still shows its window, marked.
      allPatched(m) ? `${hm(e.windowSeconds)}${m.status === 'SUCCEEDED' ? '' : ' *'}` : 'n/a',
      `${hm(e.boundSeconds)}${e.byLaunchRate ? ' (launch rate)' : ''}`,
      allPatched(m) ? `${e.ratio.toFixed(3)}${m.status === 'SUCCEEDED' ? '' : ' *'}` : 'n/a',
      allPatched(m) ? e.earlierRatio.toFixed(3) : 'n/a',
      `${m.maxTransitions} (${m.maxTransitionsExecution.length > 40 ? `${m.maxTransitionsExecution.slice(0, 39)}…` : m.maxTransitionsExecution})`,
      kb(m.maxStateBytes),
      `${(m.wallMs / 1000).toFixed(1)} s`,
    ]),
  );
}

const allPatched = (m: FleetMetrics) => m.patchedGroups === m.nodeGroups;

/** The first variant's wave sizes (the others are alike: groups are spread round-robin). */
const wavesOf = (m: FleetMetrics) => {
  const w = Object.values(m.wavesPerVariant)[0] ?? [];
  return w.length > 8 ? `${w.length}: ${w.slice(0, 6).join(', ')}, …, ${w.at(-1)}` : `${w.length}: ${w.join(', ')}`;
};
