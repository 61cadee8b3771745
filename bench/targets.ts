import type { BundleMetrics } from './bundles.js';
import type { FleetMetrics } from './measure.js';
import type { ExposureRun } from './report.js';

/** The targets, each with the figure that decides it. */
export interface Target {
  name: string;
  measured: string;
  pass: boolean;
}

export const LIMITS = {
  overheadAt100: 1.05,
  maxExecutionTransitionsAt1000: 5000,
  transitionsPerGroup: 40,
  bundleBytes: 300 * 1024,
  initMs: 100,
  wallMsAt100: 10_000,
  /** Per-group cost at 1,000 over per-group cost at 100: linear is 1.0; room for wave rounding, far below quadratic (10). */
  growthRatio: 1.15,
  benchMs: 5 * 60_000,
  exposureRatioAt1000: 1.3,
  stateBytes: 256 * 1024,
  transitionsPerExecution: 5000,
  wallMsAt5000: 60_000,
};

const at = (runs: readonly FleetMetrics[], n: number) => runs.find((r) => r.nodeGroups === n);
const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

export function fleetTargets(runs: readonly FleetMetrics[], scaleSizes: readonly number[]): Target[] {
  const r100 = at(runs, 100);
  const r1000 = at(runs, 1000);
  const targets: Target[] = [];
  if (r100) {
    targets.push({ name: `overhead ratio <= ${LIMITS.overheadAt100} at 100 node groups`, measured: fmt(r100.overhead, 3), pass: r100.status === 'SUCCEEDED' && r100.overhead <= LIMITS.overheadAt100 });
    targets.push({ name: `100-node-group rehearsal <= ${LIMITS.wallMsAt100 / 1000} s wall`, measured: `${fmt(r100.wallMs / 1000, 1)} s`, pass: r100.wallMs <= LIMITS.wallMsAt100 });
  }
  if (r1000)
    targets.push({
      name: `no execution above ${LIMITS.maxExecutionTransitionsAt1000} state transitions at 1,000 node groups`,
      measured: `${r1000.maxTransitions} (${r1000.maxTransitionsExecution})`,
      pass: r1000.maxTransitions <= LIMITS.maxExecutionTransitionsAt1000,
    });
  for (const n of scaleSizes) {
    const r = at(runs, n);
    if (!r) continue;
    const per = r.totalTransitions / r.nodeGroups;
    targets.push({ name: `<= ${LIMITS.transitionsPerGroup} transitions per node group overall at ${n}`, measured: fmt(per, 1), pass: per <= LIMITS.transitionsPerGroup });
  }
  for (const r of runs) {
    const counts = Object.values(r.imageBuildsPerVariant);
    targets.push({
      name: `exactly one image build per variant and region (${r.label})`,
      measured: counts.join(', '),
      pass: counts.length === r.variants && counts.every((c) => c === 1),
    });
  }
  return targets;
}

export function bundleTargets(bundles: readonly BundleMetrics[]): Target[] {
  return bundles.flatMap((b) => [
    ...(b.error ? [{ name: `${b.fn}: bundles and loads`, measured: b.error, pass: false }] : []),
    { name: `${b.fn}: bundle <= 300 KB minified`, measured: `${fmt(b.bytes / 1024, 0)} KB`, pass: b.bytes <= LIMITS.bundleBytes },
    { name: `${b.fn}: module init <= ${LIMITS.initMs} ms`, measured: `${fmt(b.initMs, 0)} ms`, pass: b.initMs <= LIMITS.initMs },
  ]);
}

/** Same outcome: same status, same number of groups patched, one AMI per variant and that variant's count of AMIs unchanged. */
export function throttleTarget(plain: FleetMetrics, throttled: FleetMetrics): Target {
  const amis = (m: FleetMetrics) => Object.entries(m.amisPerVariant).map(([v, a]) => `${v}:${a.length}`).join(' ');
  const same = plain.status === throttled.status && plain.patchedGroups === throttled.patchedGroups && amis(plain) === amis(throttled);
  return {
    name: `${throttled.label} completes with the outcome of the unthrottled run`,
    measured: `${throttled.status}, ${throttled.patchedGroups}/${throttled.nodeGroups} patched (unthrottled ${plain.status}, ${plain.patchedGroups}), ${throttled.throttled} throttled calls retried`,
    pass: same && throttled.status === 'SUCCEEDED',
  };
}

export function growthTargets(growth: readonly { metric: string; ratio: number }[]): Target[] {
  return growth.map((g) => ({ name: `${g.metric}: per-group cost at 1,000 / at 100 <= ${LIMITS.growthRatio} (linear or better)`, measured: fmt(g.ratio, 2), pass: g.ratio <= LIMITS.growthRatio }));
}

/** Issue 12: ratio at 1,000 groups for each setting; at 5,000 every state under 256 KB, every execution under 5,000 transitions, under 60 s wall. */
export function exposureTargets(runs: readonly ExposureRun[]): Target[] {
  const out: Target[] = [];
  for (const r of runs.filter((x) => x.metrics.nodeGroups === 1000))
    out.push({
      name: `exposure window / lower bound <= ${LIMITS.exposureRatioAt1000} at 1,000 node groups (${r.setting})`,
      measured: r.metrics.status === 'SUCCEEDED' ? fmt(r.exposure.ratio, 3) : `${r.metrics.status}: ${r.metrics.failure ?? ''}`,
      pass: r.metrics.status === 'SUCCEEDED' && r.exposure.ratio <= LIMITS.exposureRatioAt1000,
    });
  // The bound is a lower bound only if no run beats it: a window under it would prove the bound wrong.
  for (const r of runs.filter((x) => x.metrics.status === 'SUCCEEDED'))
    out.push({ name: `exposure window >= its lower bound (${r.metrics.nodeGroups} node groups, ${r.setting})`, measured: fmt(r.exposure.ratio, 3), pass: r.exposure.ratio >= 1 });
  for (const r of runs.filter((x) => x.metrics.nodeGroups === 5000)) {
    out.push({ name: `5,000 node groups (${r.setting}): every state < 256 KB`, measured: `${fmt(r.metrics.maxStateBytes / 1024, 0)} KB`, pass: r.metrics.maxStateBytes < LIMITS.stateBytes });
    out.push({ name: `5,000 node groups (${r.setting}): every execution < 5,000 transitions`, measured: String(r.metrics.maxTransitions), pass: r.metrics.maxTransitions < LIMITS.transitionsPerExecution });
    out.push({ name: `5,000 node groups (${r.setting}): rehearsal < 60 s wall`, measured: `${fmt(r.metrics.wallMs / 1000, 1)} s`, pass: r.metrics.wallMs < LIMITS.wallMsAt5000 });
  }
  return out;
}
