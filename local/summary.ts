import { runCost, type RunCost } from '../lib/cost/model.js';
import type { VariantOutcome } from '../lib/notify/summary.js';
import { storedOutcome, storedVariant } from './stored.js';
import { groupName } from '../lib/plan/types.js';
import type { RehearsalReport } from './rehearsal.js';
import { pdbName } from './sim/kubernetes/index.js';

/** The machine-readable summary of a rehearsal (`npm start -- --json`). */
export interface RehearsalSummary {
  status: 'SUCCEEDED' | 'FAILED';
  error: string | null;
  variants: {
    variant: string;
    status: 'SUCCEEDED' | 'FAILED';
    /** A failed variant's error and whole cause, as its execution ended (`Error: Cause`); null when it succeeded. */
    error: string | null;
    sourceAmi: string | null;
    amiId: string | null;
    patched: string[];
    skipped: string[];
    /** Each planned node group: its name (an ASG's, or cluster/nodegroup), kind, and own ASG. */
    nodeGroups: { name: string; kind: 'asg' | 'managed'; asgName: string }[];
    /** What retention kept (and why) and deleted at the end of the variant; empty when it did not run. */
    retention: string[];
  }[];
  nodeGroupsPatched: number;
  instancesReplaced: number;
  notifications: { t: string; subject: string; severity: string }[];
  simulatedSeconds: number;
  simulatedDuration: string;
  stateTransitions: number;
  largestExecutionTransitions: number;
  lambdaInvocations: number;
  awsCalls: number;
  /** Retries the Lambdas (and the operator's start) logged: throttling and lost answers, as an operator would see them in CloudWatch Logs. */
  retries: number;
  /** What happened to the workloads, per node group of a simulated cluster (empty without clusters). */
  kubernetes: KubernetesGroupSummary[];
  /** The modelled cost of the run (lib/cost/model.ts) at config `costs` prices, with the prices and assumptions used. */
  cost: RunCost;
}

/** One node group as its cluster saw the run. */
export interface KubernetesGroupSummary {
  asgName: string;
  cluster: string;
  /** New nodes the readiness gate let into service (CONTINUE), and those it refused (ABANDON, or its hook's timeout). */
  nodesReady: number;
  nodesRefused: number;
  podsEvicted: number;
  /** Pods that went with their node without an eviction: 0 unless named in `podsDeletedWithoutEvictionNames`. */
  podsDeletedWithoutEviction: number;
  podsDeletedWithoutEvictionNames: string[];
  pdbViolations: number;
  /** The longest drain (Terminating:Wait of our drain hook), in seconds. */
  longestDrainSeconds: number;
}

/** Per node group of each simulated cluster: gate verdicts, evictions, deletions without eviction, budget violations, drains. */
export function kubernetesSummary(report: RehearsalReport): KubernetesGroupSummary[] {
  const actions = report.account.lifecycleActions().filter((a) => Date.parse(a.startedAt) >= Date.parse(report.startedAt));
  const out: KubernetesGroupSummary[] = [];
  for (const [cluster, c] of report.account.clusters()) {
    const groups = [...new Set(c.groupOfNode.values())].sort();
    const groupOf = (node: string | undefined) => (node ? c.groupOfNode.get(node) : undefined);
    const started = Date.parse(report.startedAt);
    const events = c.events.filter((e) => e.at >= started);
    for (const asgName of groups) {
      const mine = actions.filter((a) => a.asgName === asgName);
      const gate = mine.filter((a) => a.hookName.endsWith('-ready') && a.completedAt);
      const drains = mine.filter((a) => a.hookName.endsWith('-drain') && a.completedAt);
      const deleted = events.flatMap((e) => (e.kind === 'podDeleted' && e.withoutEviction && groupOf(e.node) === asgName ? [e.pod] : []));
      out.push({
        asgName,
        cluster,
        nodesReady: gate.filter((a) => a.result === 'CONTINUE').length,
        nodesRefused: gate.filter((a) => a.result === 'ABANDON').length,
        podsEvicted: events.filter((e) => e.kind === 'evicted' && groupOf(e.node) === asgName).length,
        podsDeletedWithoutEviction: deleted.length,
        podsDeletedWithoutEvictionNames: deleted,
        // A budget belongs to the group of its workload.
        pdbViolations: events.filter((e) => e.kind === 'pdbViolated' && c.workloads.some((w) => w.nodeGroup === asgName && pdbName(w) === e.pdb)).length,
        longestDrainSeconds: Math.max(0, ...drains.map((a) => Math.round((Date.parse(a.completedAt as string) - Date.parse(a.startedAt)) / 1000))),
      });
    }
  }
  return out;
}

export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return `${h}h ${String(m).padStart(2, '0')}m`;
}

/**
 * The groups of a plan whose every instance runs `amiId`, judged from the account's instances (never from the launch
 * template), and, for a group in a simulated cluster, from the cluster: every instance has a Ready Node and no pod of
 * the group left a node without eviction during the run.
 */
function onAmi(report: RehearsalReport, groups: { asgName: string }[], amiId: string | null): string[] {
  if (!amiId) return [];
  const workloads = new Map(kubernetesSummary(report).map((k) => [k.asgName, k]));
  const clusters = [...report.account.clusters().values()];
  return groups
    .filter((g) => {
      const instances = report.account.instances(g.asgName);
      if (instances.length === 0 || !instances.every((i) => i.imageId === amiId)) return false;
      const cluster = clusters.find((c) => [...c.groupOfNode.values()].includes(g.asgName));
      if (!cluster) return true;
      const ready = (id: string) => [...cluster.nodes.values()].some((n) => n.instanceId === id && cluster.isReady(n));
      return instances.every((i) => ready(i.instanceId)) && (workloads.get(g.asgName)?.podsDeletedWithoutEviction ?? 0) === 0;
    })
    .map((g) => g.asgName);
}

/** The AMI this run built for a variant (its recipe is named after the variant), if the build finished. */
function builtAmi(report: RehearsalReport, variantId: string): string | null {
  const mine = report.account.images().filter((i) => i.recipeArn.includes(`-${variantId}-patched/`) && i.amiId && Date.parse(i.createdAt) >= Date.parse(report.startedAt));
  return mine.at(-1)?.amiId ?? null;
}

/**
 * Each variant as its child execution ended, checked against the account at the
 * simulated end of the run: a group counts as patched only when every one of its
 * instances runs the variant's new AMI. A failed child has no output, so its AMI is
 * the one it was given or built, and its groups are read from its input's plan.
 */
function variants(report: RehearsalReport): RehearsalSummary['variants'] {
  const children = report.executions.filter((e) => e.stateMachine.endsWith('patch-variant'));
  return children.map((c) => {
    const started = report.account.executions.find((e) => e.executionArn === c.executionArn);
    const header = (JSON.parse(started?.input ?? '{}') as { variant?: Parameters<typeof storedVariant>[1] }).variant;
    const plan = storedVariant(report.account, header);
    const groups = plan?.waves.flat() ?? [];
    const output = c.status === 'SUCCEEDED' ? storedOutcome(report.account, header, c.output as VariantOutcome) : undefined;
    const kinds = groups.map((g) => ({ name: groupName(g), kind: g.managed ? ('managed' as const) : ('asg' as const), asgName: g.asgName }));
    if (output) {
      const truly = new Set(onAmi(report, groups.length ? groups : output.patched.map((asgName) => ({ asgName })), output.amiId));
      return { variant: output.variantId, status: 'SUCCEEDED' as const, error: null, sourceAmi: output.sourceAmi, amiId: output.amiId, patched: output.patched.filter((g) => truly.has(g)), skipped: output.skipped, nodeGroups: kinds, retention: output.retention ?? [] };
    }
    const id = plan?.id ?? c.label;
    const amiId = plan?.amiId ?? builtAmi(report, id);
    return {
      variant: id,
      status: 'FAILED' as const,
      error: c.error ? `${c.error.Error}: ${c.error.Cause}` : c.dataLimitExceeded ? `States.DataLimitExceeded: ${c.dataLimitExceeded}` : null,
      sourceAmi: plan?.sourceAmi ?? null,
      amiId,
      patched: onAmi(report, groups, amiId),
      skipped: [],
      nodeGroups: kinds,
      retention: [],
    };
  });
}

/** Lambda memory of every function (serverless.yml provider.memorySize; no function sets its own). */
const LAMBDA_MEMORY_MB = 512;

/**
 * What this run used, from the simulated account: each Image Builder image the run created (its build minutes), each
 * of our AMIs Fast Launch was enabled for (an EnableFastLaunch that EC2 accepted), the AMIs built, and the transitions
 * and invocations the runner counted.
 */
export function runQuantities(report: RehearsalReport, transitions: number) {
  const started = Date.parse(report.startedAt);
  const built = report.account.images().filter((i) => Date.parse(i.createdAt) >= started);
  const enabled = new Set(report.calls.filter((c) => c.operation === 'EnableFastLaunch' && (!c.error || c.tookEffect)).map((c) => String((c.input as { ImageId?: unknown }).ImageId)));
  const { config } = report;
  const variants = config.variants.flatMap((v) => {
    const mine = built.filter((i) => i.recipeArn.includes(`-${v.id}-patched/`));
    const amis = new Set(mine.flatMap((i) => (i.amiId ? [i.amiId] : [])));
    const fastLaunch = [...enabled].some((a) => amis.has(a));
    if (!mine.length && !fastLaunch) return [];
    return [{ id: v.id, buildMinutes: mine.reduce((m, i) => m + i.buildMinutes, 0), fastLaunch, newAmi: amis.size > 0 }];
  });
  return {
    variants,
    buildInstanceType: config.imageBuilder.instanceTypes[0] ?? 'm6i.xlarge',
    fastLaunchInstanceType: config.imageBuilder.instanceTypes[0] ?? 'm6i.xlarge',
    rootVolumeGiB: config.imageBuilder.rootVolumeGiB,
    fastLaunchSnapshots: config.fastLaunch.targetResourceCount,
    stateTransitions: transitions,
    lambdaInvocations: report.invocations,
    lambdaMemoryMb: LAMBDA_MEMORY_MB,
  };
}

export function summarize(report: RehearsalReport): RehearsalSummary {
  const variantsNow = variants(report);
  return {
    status: report.status,
    error: report.run?.error ? `${report.run.error.Error}: ${report.run.error.Cause}` : report.startError ? `the run could not be started: ${report.startError}` : null,
    variants: variantsNow,
    nodeGroupsPatched: variantsNow.reduce((n, v) => n + v.patched.length, 0),
    instancesReplaced: report.instancesReplaced,
    notifications: report.notifications.map((n) => ({ t: n.t, subject: n.subject ?? '', severity: String((n.attributes?.severity as { StringValue?: string } | undefined)?.StringValue ?? '') })),
    simulatedSeconds: report.simulatedSeconds,
    simulatedDuration: formatDuration(report.simulatedSeconds),
    stateTransitions: report.executions.reduce((n, e) => n + e.transitions, 0),
    largestExecutionTransitions: Math.max(0, ...report.executions.map((e) => e.transitions)),
    lambdaInvocations: report.invocations,
    awsCalls: report.calls.length,
    retries: report.logs.filter((l) => /: retry \d+ of \d+/.test(l.message)).length,
    kubernetes: kubernetesSummary(report),
    cost: runCost(runQuantities(report, report.executions.reduce((n, e) => n + e.transitions, 0)), report.config.costs, { ...report.config.costs, amiMonthsKept: report.config.costs.amiMonthsKept ?? report.config.retention.keepImages }),
  };
}

/** Each notification in full, as an admin receives it by e-mail (SNS e-mail: the subject, then the message as sent). */
export function notificationsText(report: Pick<RehearsalReport, 'notifications'>): string {
  return report.notifications
    .map((n, i) => {
      const severity = (n.attributes?.severity as { StringValue?: string } | undefined)?.StringValue;
      return `Notification ${i + 1} of ${report.notifications.length}, ${n.t}${severity ? `, severity ${severity}` : ''}\nSubject: ${n.subject ?? ''}\n\n${n.message.trimEnd()}\n`;
    })
    .join(`${'-'.repeat(72)}\n`);
}
