import { installClock } from '../local/clock.js';
import { storedVariant } from '../local/stored.js';
import type { NodeGroupPlan } from '../lib/plan/types.js';
import type { StoreRef } from '../lib/store/keys.js';
import { rehearse, type RehearsalReport } from '../local/rehearsal.js';
import type { Scenario } from '../local/scenario.js';
import { criticalPath, overheadRatio, type VariantWork } from './critical-path.js';

/** What one rehearsal of a generated fleet costs and how long it takes, in simulated and in real time. */
export interface FleetMetrics {
  label: string;
  nodeGroups: number;
  variants: number;
  status: string;
  /** The first failed execution's error, when the run failed. */
  failure: string | null;
  simulatedSeconds: number;
  criticalSeconds: number;
  criticalVariant: string | null;
  overhead: number;
  maxTransitions: number;
  maxTransitionsExecution: string;
  /** Largest state input or output of any execution, bytes. */
  maxStateBytes: number;
  totalTransitions: number;
  invocations: number;
  calls: number;
  callsByOperation: Record<string, number>;
  throttled: number;
  retryDelaysMs: number[];
  imageBuildsPerVariant: Record<string, number>;
  patchedGroups: number;
  amisPerVariant: Record<string, string[]>;
  refreshSecondsByGroup: Record<string, number>;
  /** From the run's start to the last targeted group's refresh end (the last node on the new AMI). */
  lastNodeSeconds: number;
  /** Per variant: its canaries' slowest refresh, and its slowest other refresh, seconds. */
  canarySecondsByVariant: Record<string, number>;
  longestSecondsByVariant: Record<string, number>;
  /** Waves per variant and the largest wave, as planned. */
  wavesPerVariant: Record<string, number[]>;
  instances: number;
  /** Instances of the canary groups (every variant's first wave). */
  canaryInstances: number;
  wallMs: number;
}

const THROTTLE_ERRORS = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'Throttled', 'ThrottledException']);

interface ChildInput {
  variant: { id: string; waves?: NodeGroupPlan[][]; store?: StoreRef };
}

export async function measureFleet(label: string, scenario: Scenario): Promise<FleetMetrics> {
  const t0 = performance.now();
  const report = await rehearse(scenario);
  const wallMs = performance.now() - t0;
  // The account evaluates state against the clock: read it at the moment the run ended.
  const clock = installClock(report.endedAt);
  try {
    return { label, ...(await derive(scenario, report)), wallMs };
  } finally {
    clock.uninstall();
  }
}

async function derive(scenario: Scenario, report: RehearsalReport): Promise<Omit<FleetMetrics, 'label' | 'wallMs'>> {
  const { account } = report;
  const groups = scenario.fleet.autoScalingGroups.map((g) => g.name);
  const refreshSecondsByGroup: Record<string, number> = {};
  let lastEnd = Date.parse(report.startedAt);
  for (const name of groups) {
    const out = (await account.call('AutoScaling', 'DescribeInstanceRefreshes', { AutoScalingGroupName: name })) as {
      InstanceRefreshes?: { Status?: string; StartTime?: Date; EndTime?: Date }[];
    };
    const done = (out.InstanceRefreshes ?? []).find((r) => r.Status === 'Successful' && r.StartTime && r.EndTime);
    if (done?.StartTime && done.EndTime) {
      refreshSecondsByGroup[name] = (done.EndTime.getTime() - done.StartTime.getTime()) / 1000;
      lastEnd = Math.max(lastEnd, done.EndTime.getTime());
    }
  }

  // A child's input carries its variant's header; the plan with every group is in the run-state bucket.
  const children = account.executions
    .filter((e) => e.stateMachineArn.endsWith('patch-variant'))
    .map((e) => JSON.parse(e.input) as ChildInput)
    .map((c) => ({ variant: { id: c.variant.id, waves: storedVariant(account, c.variant)?.waves ?? [] } }));
  const work: VariantWork[] = children.map((c) => ({
    variantId: c.variant.id,
    buildSeconds: account.durations.imageBuild * 60,
    fastLaunchSeconds: account.durations.fastLaunchEnable * 60,
    waves: c.variant.waves.map((w) => w.map((g) => refreshSecondsByGroup[g.asgName] ?? 0)),
  }));
  const critical = criticalPath(work);
  const secondsOf = (gs: { asgName: string }[]) => Math.max(0, ...gs.map((g) => refreshSecondsByGroup[g.asgName] ?? 0));
  const canarySecondsByVariant = Object.fromEntries(children.map((c) => [c.variant.id, secondsOf(c.variant.waves.flat().filter((g) => g.canary))]));
  const longestSecondsByVariant = Object.fromEntries(children.map((c) => [c.variant.id, secondsOf(c.variant.waves.flat().filter((g) => !g.canary))]));
  const sizes = new Map(scenario.fleet.autoScalingGroups.map((g) => [g.name, g.instances]));
  const canaryInstances = children.flatMap((c) => c.variant.waves.flat().filter((g) => g.canary)).reduce((n, g) => n + (sizes.get(g.asgName) ?? 0), 0);
  const wavesPerVariant = Object.fromEntries(children.map((c) => [c.variant.id, c.variant.waves.map((w) => w.length)]));

  const largest = report.executions.reduce((a, b) => (b.transitions > a.transitions ? b : a));
  const callsByOperation: Record<string, number> = {};
  for (const c of report.calls) callsByOperation[c.operation] = (callsByOperation[c.operation] ?? 0) + 1;

  const images = account.images();
  const imageBuildsPerVariant = Object.fromEntries(
    scenario.config.variants.map((v) => [v.id, images.filter((img) => img.recipeArn.includes(`/${v.id}`) || img.recipeArn.includes(`-${v.id}`)).length]),
  );
  const amisPerVariant: Record<string, string[]> = {};
  let patchedGroups = 0;
  for (const v of scenario.config.variants) {
    const built = new Set(images.filter((img) => img.amiId && (img.recipeArn.includes(`/${v.id}`) || img.recipeArn.includes(`-${v.id}`))).map((img) => img.amiId));
    const finals = new Set<string>();
    for (const g of v.nodeGroups) {
      if (!g.asgName) continue;
      const imageId = account.asg(g.asgName).imageId;
      finals.add(imageId);
      if (built.has(imageId)) patchedGroups++;
    }
    amisPerVariant[v.id] = [...finals].sort();
  }

  return {
    nodeGroups: groups.length,
    variants: scenario.config.variants.length,
    status: report.status,
    failure: failureOf(report),
    simulatedSeconds: report.simulatedSeconds,
    criticalSeconds: critical.seconds,
    criticalVariant: critical.variantId,
    overhead: critical.seconds > 0 ? overheadRatio(report.simulatedSeconds, critical.seconds) : Number.NaN,
    maxTransitions: largest.transitions,
    maxTransitionsExecution: largest.name,
    maxStateBytes: Math.max(...report.executions.map((e) => e.maxStateBytes)),
    totalTransitions: report.executions.reduce((s, e) => s + e.transitions, 0),
    invocations: report.invocations,
    calls: report.calls.length,
    callsByOperation,
    throttled: report.calls.filter((c) => c.error && THROTTLE_ERRORS.has(c.error)).length,
    retryDelaysMs: retryDelays(report),
    imageBuildsPerVariant,
    patchedGroups,
    amisPerVariant,
    refreshSecondsByGroup,
    lastNodeSeconds: (lastEnd - Date.parse(report.startedAt)) / 1000,
    canarySecondsByVariant,
    longestSecondsByVariant,
    wavesPerVariant,
    instances: scenario.fleet.autoScalingGroups.reduce((n, g) => n + g.instances, 0),
    canaryInstances,
  };
}

/** For each throttled call, how long until the same caller repeated the same request: the backoff actually taken. */
function retryDelays(report: RehearsalReport): number[] {
  const byKey = new Map<string, number[]>();
  report.calls.forEach((c, i) => {
    const key = `${c.fn}|${c.operation}|${JSON.stringify(c.input)}`;
    const indices = byKey.get(key);
    if (indices) indices.push(i);
    else byKey.set(key, [i]);
  });
  const delays: number[] = [];
  for (const indices of byKey.values())
    indices.forEach((i, k) => {
      const c = report.calls[i];
      const next = indices[k + 1];
      if (!c?.error || !THROTTLE_ERRORS.has(c.error) || next === undefined) return;
      delays.push(Date.parse(report.calls[next]?.t ?? c.t) - Date.parse(c.t));
    });
  return delays;
}

function failureOf(report: RehearsalReport): string | null {
  const failed = report.executions.filter((e) => e.status === 'FAILED' && e.error);
  const first = failed.find((e) => e !== report.run) ?? failed[0];
  return first?.error ? `${first.name}: ${first.error.Error}: ${first.error.Cause.slice(0, 160)}`.replace(/[|\n]/g, ' ') : null;
}
