import { logger } from '../lib/logger.js';
import { executionName } from '../lib/names.js';
import type { PipelineConfig } from '../lib/config.js';
import { AMIS_PER_VARIANT_DURING_ROLLOUT } from '../lib/fastlaunch/quota.js';
import { installClock } from './clock.js';
import { currentExecution, currentFunction, LocalStepFunctions, stackArns, type ExecutionRecord, type StackNames } from './runner.js';
import type { Scenario } from './scenario.js';
import { SimulatedAccount } from './sim/account.js';
import { vcpusOfType } from './sim/quotas.js';
import type { Fleet } from './sim/fleet.js';
import { changeEntry, type TimelineEntry } from './timeline.js';

export type { TimelineEntry };
import { installSimulation, type CallRecord } from './sim/install.js';

/** A call with the Lambda that made it ("states" for the state machine's own sns/sfn tasks). */
export interface AttributedCall extends CallRecord {
  fn: string;
}


/** One line a Lambda logged (what CloudWatch Logs would hold), with the simulated time and the function. */
export interface LambdaLogLine {
  t: string;
  fn: string;
  level: string;
  message: string;
  [key: string]: unknown;
}

export interface RehearsalReport {
  status: 'SUCCEEDED' | 'FAILED';
  run: ExecutionRecord;
  executions: ExecutionRecord[];
  startedAt: string;
  endedAt: string;
  simulatedSeconds: number;
  calls: AttributedCall[];
  invocations: number;
  notifications: SimulatedAccount['published'];
  timeline: TimelineEntry[];
  account: SimulatedAccount;
  instancesReplaced: number;
  /** The scenario's pipeline config (the cost model's prices and sizes). */
  config: PipelineConfig;
  before: unknown;
  /** The Lambdas' log lines (level from POWERTOOLS_LOG_LEVEL or the `logLevel` option, INFO by default). */
  logs: LambdaLogLine[];
  /** The operator's start failed after its retries (the run may still have started: see `run`). */
  startError?: string;
}

export interface RehearsalOptions {
  onCall?: (rec: CallRecord) => void;
  onTimeline?: (entry: TimelineEntry) => void;
  /** Extra work inside the simulation before the run (e.g. a trigger instead of a manual start). */
  start?: (runner: LocalStepFunctions, scenario: Scenario) => Promise<unknown>;
  /** Each Lambda log line as it is written. */
  onLog?: (line: LambdaLogLine) => void;
  /** The Lambdas' log level for this rehearsal (default POWERTOOLS_LOG_LEVEL, else INFO). */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** The account's random source (throttling draws); default a fixed seed. */
  random?: () => number;
}

/**
 * Lambda output goes to CloudWatch Logs, not to the operator's terminal: whatever a
 * handler writes (the Powertools logger prints one JSON object per line) is kept per
 * function and simulated time, and not echoed.
 */
let passthrough = 0;
/** The rehearsal's own output (timeline, trace) made while a Lambda runs is not that Lambda's log. */
function ownOutput(fn: () => void): void {
  passthrough++;
  try {
    fn();
  } finally {
    passthrough--;
  }
}

function captureLambdaLogs(logs: LambdaLogLine[], onLog: RehearsalOptions['onLog']): () => void {
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    const original = originals[i] as typeof stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const fn = currentFunction.getStore();
      if (fn === undefined || fn === 'states' || passthrough > 0) return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      for (const text of String(chunk).split('\n').filter(Boolean)) {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          parsed = { level: 'INFO', message: text };
        }
        const line: LambdaLogLine = { ...parsed, t: new Date().toISOString(), fn, level: String(parsed.level ?? 'INFO'), message: String(parsed.message ?? '') };
        logs.push(line);
        ownOutput(() => onLog?.(line));
      }
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  });
  return () => streams.forEach((stream, i) => void (stream.write = originals[i] as typeof stream.write));
}


/** What `serverless deploy` adds to the account: the dedicated Fast Launch template (no user data). */
function withStackResources(scenario: Scenario, names: StackNames): Fleet {
  const anyAmi = scenario.fleet.amis[0]?.id ?? 'ami-00000000';
  const template = { name: stackArns(names).fastLaunchTemplateName, tags: {}, defaultVersion: 1, versions: [{ imageId: anyAmi, userData: false, rootVolumeOverride: false, instanceType: scenario.config.imageBuilder.instanceTypes[0] ?? 'm6i.xlarge' }] };
  return { ...scenario.fleet, launchTemplates: [...scenario.fleet.launchTemplates, template], stackVcpus: stackVcpus(scenario.config) };
}

/**
 * What the stack may run besides the fleet: per variant one build and, for the new AMI and last month's (lib/plan/quota.ts
 * reservedVcpus), MaxParallelLaunches Fast Launch instances, all of the largest build type (a size that gives none: 96).
 */
function stackVcpus(config: PipelineConfig): number {
  const largest = Math.max(...config.imageBuilder.instanceTypes.map((t) => vcpusOfType(t) ?? 96));
  return config.variants.length * (1 + AMIS_PER_VARIANT_DURING_ROLLOUT * config.fastLaunch.maxParallelLaunches) * largest;
}

/** Runs one scenario end to end on the simulated clock and reports what happened. */
export async function rehearse(scenario: Scenario, opts: RehearsalOptions = {}): Promise<RehearsalReport> {
  const clock = installClock(scenario.start);
  const savedEnv = { ...process.env };
  const timeline: TimelineEntry[] = [];
  const note = (entry: Omit<TimelineEntry, 't'>) => {
    const full = { t: new Date().toISOString(), ...entry };
    timeline.push(full);
    ownOutput(() => opts.onTimeline?.(full));
  };
  const calls: AttributedCall[] = [];
  const logs: LambdaLogLine[] = [];
  // The simulated account is read at the simulated end of the run, never at the machine's date.
  let endedAt: number | undefined;
  let startError: string | undefined;
  const levelBefore = logger.getLevelName();
  try {
    const names = { stage: scenario.stage, region: scenario.fleet.region, accountId: scenario.fleet.accountId };
    const account = new SimulatedAccount({ fleet: withStackResources(scenario, names), faults: scenario.faults, durations: scenario.durations, now: () => endedAt ?? Date.now(), ...(opts.random ? { random: opts.random } : {}) });
    const runner = new LocalStepFunctions(account, names, {
      onStateEntered: ({ execution, state, type }) => {
        if (type === 'Task') note({ kind: 'state', execution: execution.label, nodeGroup: '', text: state });
      },
      onStateFailed: ({ execution, state, error }) => note({ kind: 'failure', execution: execution.label, nodeGroup: '', text: `${state} failed: ${error}` }),
    });
    const sim = installSimulation(account, {
      onCall: (rec) => {
        calls.push({ ...rec, fn: currentFunction.getStore() ?? 'operator' });
        ownOutput(() => opts.onCall?.(rec));
        const input = rec.input as Record<string, unknown>;
        const execution = currentExecution.getStore() ?? 'operator';
        if (rec.operation === 'Publish' && !rec.error) note({ kind: 'notification', execution, nodeGroup: '', text: `notification: ${String(input.Subject)}` });
        // The timeline names the instance of a lifecycle decision (the call carries only the action's token).
        const described = rec.operation === 'CompleteLifecycleAction' ? { ...input, InstanceId: account.lifecycleActions().find((a) => a.token === input.LifecycleActionToken)?.instanceId } : input;
        const change = rec.error ? undefined : changeEntry(rec.operation, described);
        const group = change?.nodeGroup || groupsOf.get(String(input.LaunchTemplateId)) || (input.nodegroupName ? `${String(input.clusterName)}/${String(input.nodegroupName)}` : '');
        if (change && rec.operation !== 'Publish') note({ kind: 'change', execution, ...change, nodeGroup: group });
      },
    });
    const groupsOf = new Map<string, string>();
    for (const g of scenario.fleet.autoScalingGroups) {
      const lt = account.asg(g.name).launchTemplateId;
      groupsOf.set(lt, groupsOf.has(lt) ? `${groupsOf.get(lt)}, ${g.name}` : g.name);
    }
    for (const g of scenario.fleet.managedNodeGroups) {
      const out = (await account.call('EC2', 'DescribeLaunchTemplates', { LaunchTemplateNames: [g.launchTemplate] })) as { LaunchTemplates: { LaunchTemplateId: string }[] };
      const lt = out.LaunchTemplates[0]?.LaunchTemplateId ?? '';
      groupsOf.set(lt, `${g.cluster}/${g.name}`);
    }
    const fastLaunchTemplate = (await account.call('EC2', 'DescribeLaunchTemplates', { LaunchTemplateNames: [runner.arns.fastLaunchTemplateName] })) as {
      LaunchTemplates: { LaunchTemplateId: string }[];
    };
    const fastLaunchTemplateId = fastLaunchTemplate.LaunchTemplates[0]?.LaunchTemplateId as string;
    Object.assign(process.env, runner.environment(JSON.stringify(scenario.config), fastLaunchTemplateId), { POWERTOOLS_LOG_LEVEL: opts.logLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO' });
    logger.setLogLevel(process.env.POWERTOOLS_LOG_LEVEL as 'INFO');
    const release = captureLambdaLogs(logs, opts.onLog);
    try {
      await runner.loadHandlers();
      const before = account.snapshot();
      // Every group of the account: the scenario's ASGs and the managed node groups' own.
      const instancesBefore = new Set(account.asgNames().flatMap((g) => account.instances(g).map((i) => i.instanceId)));
      const startedAt = new Date().toISOString();
      const name = scenario.executionName ?? executionName('rehearsal', scenario.start.slice(0, 10));
      await clock.drive(
        (async () => {
          try {
            if (opts.start) await opts.start(runner, scenario);
            // The operator's own calls (and their retry logs) are attributed to "operator".
            else await currentFunction.run('operator', () => runner.startRun(name, scenario.input));
          } catch (error) {
            // The operator is told, as the CLI would tell them; an execution that did start despite it still runs to its end.
            startError = error instanceof Error ? `${error.name === 'Error' && 'code' in error ? String(error.code) : error.name}: ${error.message}` : String(error);
          }
          return runner.settled();
        })(),
      ).finally(() => {
        endedAt = Date.now();
      });
      const run = runner.executions.find((e) => e.stateMachine.endsWith('patch-run')) as ExecutionRecord;
      const instancesAfter = account.asgNames().flatMap((g) => account.instances(g).map((i) => i.instanceId));
      return {
        status: run?.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
        run,
        executions: runner.executions,
        startedAt,
        endedAt: new Date(endedAt ?? Date.now()).toISOString(),
        simulatedSeconds: ((endedAt ?? Date.now()) - Date.parse(startedAt)) / 1000,
        calls,
        invocations: runner.invocations.length,
        notifications: account.published,
        timeline,
        account,
        instancesReplaced: instancesAfter.filter((id) => !instancesBefore.has(id)).length,
        config: scenario.config,
        before,
        logs,
        ...(startError !== undefined ? { startError } : {}),
      };
    } finally {
      release();
      sim.restore();
    }
  } finally {
    logger.setLogLevel(levelBefore);
    clock.uninstall();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  }
}
