import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { executionName } from '../lib/names.js';
import { STAGES } from '../lib/stages.js';
import { loadDefinitions, stagesOf, type Stage } from './progress.js';
import { exitWithUsageIfAsked } from './usage.js';
import { executionHistory } from './history.js';

/**
 * npm run patch -- [--variant ID]... [--node-group ASG]... [--dry-run] [--reason TEXT] [--stages build,fastLaunch,rollout]
 *                  [--ami-id AMI] [--base-ami AMI] [--skip-if-busy] [--name NAME]
 *                  [--stage dev] [--region R] [--state-machine-arn ARN] [--local [--scenario FILE]]
 * npm run status -- [--max 10] [--stage dev] [--region R] [--state-machine-arn ARN] [--local [--scenario FILE]]
 * Starts and follows a run on the deployed stack; with --local, on the simulated account.
 * Operator IAM: states:ListStateMachines (only without --state-machine-arn), StartExecution,
 * DescribeExecution, GetExecutionHistory, ListExecutions.
 */
export type Print = (line: string) => void;
/** The raw execution input as the CLI sends it; the state machine's ValidateInput is the judge. */
export interface PatchInput {
  variants?: string[];
  nodeGroups?: string[];
  baseAmi?: string;
  amiId?: string;
  stages?: string[];
  dryRun?: boolean;
  whenBusy?: 'wait' | 'skip';
  reason: string;
}

const OPTIONS = {
  variant: { type: 'string', multiple: true },
  'node-group': { type: 'string', multiple: true },
  'dry-run': { type: 'boolean', default: false },
  reason: { type: 'string' },
  stages: { type: 'string' },
  'ami-id': { type: 'string' },
  'base-ami': { type: 'string' },
  'skip-if-busy': { type: 'boolean', default: false },
  name: { type: 'string' },
  stage: { type: 'string', default: process.env.STAGE ?? 'dev' },
  region: { type: 'string' },
  'state-machine-arn': { type: 'string' },
  local: { type: 'boolean', default: false },
  scenario: { type: 'string', default: 'local/scenarios/sample.yml' },
  max: { type: 'string', default: '10' },
  'poll-seconds': { type: 'string', default: '30' },
} as const;

export function parseCli(argv: string[]) {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  return { command: positionals[0] ?? 'status', ...values };
}
export type CliOptions = ReturnType<typeof parseCli>;

/** The execution input, in the shape events/*.json use; ValidateInput judges it (the CLI does not second-guess the deployed config). */
export function inputFrom(o: CliOptions): PatchInput {
  const stages = o.stages?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    ...(o.variant?.length ? { variants: o.variant } : {}),
    ...(o['node-group']?.length ? { nodeGroups: o['node-group'] } : {}),
    ...(o['base-ami'] ? { baseAmi: o['base-ami'] } : {}),
    ...(o['ami-id'] ? { amiId: o['ami-id'] } : {}),
    ...(stages?.length ? { stages } : {}),
    ...(o['dry-run'] ? { dryRun: true } : {}),
    ...(o['skip-if-busy'] ? { whenBusy: 'skip' } : {}),
    reason: o.reason ?? `started by ${process.env.USER ?? 'an operator'} from the CLI`,
  };
}

/** Manual runs get a readable, unique name; ':' is not allowed, so the time is compacted. */
export function manualRunName(input: PatchInput, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return executionName(input.dryRun ? 'dry-run' : 'manual', stamp, ...(input.variants ?? []));
}

/** A problem the operator fixes (no stack, no credentials): printed as one line, exit 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** The region `serverless deploy` uses without --region (serverless.yml provider.region: ${opt:region, 'us-west-2'}). */
export const DEPLOY_DEFAULT_REGION = 'us-west-2';

/** The one line an AWS failure of the operator's own calls deserves (credentials, access, throttling), or undefined for a bug. */
export function awsProblem(error: unknown, region: string): string | undefined {
  if (error instanceof CliError) return error.message;
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'CredentialsProviderError')
    return `no AWS credentials found (${error.message}): run \`aws configure\` or \`aws sso login\`, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; --local works without them`;
  // An AWS service error (it carries the response's metadata): its code and message say what to fix.
  if ('$metadata' in error) return `${error.name} from Step Functions in ${region}: ${error.message.split('\n')[0]}`;
  return undefined;
}

/** The patch-run state machine: given, from the environment, or found by its deployed name. */
export async function stateMachineArn(client: SFNClient, o: Pick<CliOptions, 'state-machine-arn' | 'stage'>): Promise<string> {
  const given = o['state-machine-arn'] ?? process.env.PATCH_RUN_STATE_MACHINE_ARN;
  if (given) return given;
  const wanted = `eks-windows-patch-${o.stage}-patch-run`;
  let nextToken: string | undefined;
  do {
    const out = await client.send(new ListStateMachinesCommand({ nextToken }));
    const hit = out.stateMachines?.find((m) => m.name === wanted);
    if (hit?.stateMachineArn) return hit.stateMachineArn;
    nextToken = out.nextToken;
  } while (nextToken);
  throw new CliError(`no state machine ${wanted} in this region: deploy the stack, or pass --stage/--region or --state-machine-arn`);
}

/** Where one execution stands, for the progress display. */
export interface Progress {
  label: string;
  stage: string;
  wave: number;
  waves: number;
  percent: number | null;
}

/** Each state's stage, from the state machines' own structure (scripts/progress.ts). */
const STAGE_OF = stagesOf(loadDefinitions());

/** Turns state entries (from GetExecutionHistory, or the local timeline) into one progress line per execution. */
export class ProgressTracker {
  private readonly byLabel = new Map<string, Progress>();
  private readonly rank = new Map<string, number>();

  constructor(private readonly stages: ReadonlyMap<string, Stage> = STAGE_OF) {}

  enter(label: string, state: string, waves?: number): void {
    const p = this.byLabel.get(label) ?? { label, stage: 'starting', wave: 0, waves: waves ?? 0, percent: null };
    if (waves !== undefined) p.waves = waves;
    // A stage never goes back: a state of an earlier stage (a shared check, a retry) leaves the line as it is.
    const stage = this.stages.get(state);
    if (stage && stage.rank >= (this.rank.get(label) ?? -1)) {
      p.stage = stage.stage;
      this.rank.set(label, stage.rank);
    }
    if (state === 'UpdateLaunchTemplates') {
      p.wave++;
      p.percent = null; // known only from CheckWave's output (GetExecutionHistory)
    }
    this.byLabel.set(label, p);
  }

  percent(label: string, percent: number): void {
    const p = this.byLabel.get(label);
    if (p) p.percent = Math.max(0, Math.min(100, Math.round(percent)));
  }

  line(label: string): string {
    const p = this.byLabel.get(label);
    if (!p) return `${label}: starting`;
    const wave = p.stage === 'rollout' && p.wave ? `, wave ${p.wave}${p.waves ? `/${p.waves}` : ''}${p.percent !== null ? `, ${p.percent}% refreshed` : ''}` : '';
    return `${label}: ${p.stage}${wave}`;
  }

  labels(): string[] {
    return [...this.byLabel.keys()];
  }
}

/** Feeds one execution's history (oldest first) into the tracker; returns the child executions it started. */
export function readHistory(tracker: ProgressTracker, label: string, events: HistoryEvent[]): string[] {
  const children: string[] = [];
  let current = '';
  for (const e of events) {
    if (e.type === 'ExecutionStarted') {
      // A child's input carries its variant's header (waveCount); a dry run's or an older run's plan, its waves.
      const input = parseJson(e.executionStartedEventDetails?.input) as { variant?: { waveCount?: number; waves?: unknown[] } } | undefined;
      const waves = input?.variant?.waveCount ?? input?.variant?.waves?.length;
      if (waves !== undefined) tracker.enter(label, 'ExecutionStarted', waves);
    }
    const entered = e.stateEnteredEventDetails?.name;
    if (entered) {
      current = entered;
      tracker.enter(label, entered);
    }
    const output = parseJson(e.lambdaFunctionSucceededEventDetails?.output ?? e.taskSucceededEventDetails?.output) as { percent?: unknown } | undefined;
    if (output && typeof output.percent === 'number' && /Wave|InstanceRefresh/.test(current)) tracker.percent(label, output.percent);
    const submitted = parseJson(e.taskSubmittedEventDetails?.output) as { ExecutionArn?: unknown } | undefined;
    if (typeof submitted?.ExecutionArn === 'string') children.push(submitted.ExecutionArn);
  }
  return children;
}

function parseJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000));
const nameOf = (arn: string) => arn.split(':').pop() ?? arn;

/** Polls an execution until it ends, printing a line whenever a variant's stage, wave or percentage changes. */
export async function follow(
  client: SFNClient,
  executionArn: string,
  print: Print,
  opts: { pollSeconds: number; history: boolean },
): Promise<DescribeExecutionCommandOutput> {
  const shown = new Map<string, string>();
  for (;;) {
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (opts.history) {
      const fresh = new ProgressTracker();
      const children = readHistory(fresh, 'run', await executionHistory(client, executionArn));
      for (const child of children) readHistory(fresh, nameOf(child), await executionHistory(client, child));
      for (const label of fresh.labels()) {
        const line = fresh.line(label);
        if (shown.get(label) !== line) print(line);
        shown.set(label, line);
      }
    }
    if (described.status !== 'RUNNING') return described;
    await sleep(opts.pollSeconds);
  }
}

/**
 * One line per execution: the outcome a person needs. A failure's Cause names what to fix, so it is shown whole: its
 * first line on the execution's line, each further line (one per bad field, say) indented below it.
 */
export function formatExecution(e: Pick<DescribeExecutionCommandOutput, 'name' | 'status' | 'startDate' | 'stopDate' | 'cause' | 'output'>): string {
  const when = `${e.startDate?.toISOString().slice(0, 16).replace('T', ' ') ?? '?'} UTC`;
  const took = e.stopDate && e.startDate ? ` (${Math.round((e.stopDate.getTime() - e.startDate.getTime()) / 60000)} min)` : '';
  const out = parseJson(e.output) as { dryRun?: unknown; proceed?: unknown } | unknown[] | undefined;
  const detail =
    e.status === 'FAILED' ? ` - ${(e.cause ?? '').trimEnd().split('\n').join('\n    ')}`
    : out && !Array.isArray(out) && out.dryRun === true ? ' - dry-run plan'
    : out && !Array.isArray(out) && out.proceed === 'skip' ? ' - skipped, nothing changed'
    : Array.isArray(out) ? ` - ${out.length} variant(s) patched` : '';
  return `${when}  ${(e.status ?? '').padEnd(9)} ${e.name}${took}${detail}`;
}

export async function listRuns(client: SFNClient, arn: string, max: number): Promise<string[]> {
  const out = await client.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: max }));
  const lines: string[] = [];
  for (const e of out.executions ?? []) lines.push(...formatExecution(await client.send(new DescribeExecutionCommand({ executionArn: e.executionArn }))).split('\n'));
  return lines.length ? lines : ['no executions yet'];
}

export async function startRun(client: SFNClient, arn: string, name: string, input: PatchInput): Promise<string> {
  const out = await client.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }));
  return out.executionArn as string;
}

/** Runs the CLI; returns the exit code (0 succeeded, 1 failed, 2 usage). */
export const USAGE = `Usage:
  npm run patch -- [--variant ID]... [--node-group NAME]... [--dry-run] [--reason TEXT] [--stages build,fastLaunch,rollout]
                   [--ami-id AMI] [--base-ami AMI] [--skip-if-busy] [--name NAME]
                   [--stage dev] [--region R] [--state-machine-arn ARN] [--local [--scenario FILE]]
  npm run status -- [--max 10] [--stage dev] [--region R] [--state-machine-arn ARN] [--local [--scenario FILE]]
--region defaults to us-west-2, as \`serverless deploy\` does. patch starts a run on the deployed stack and follows it; status shows the latest runs. With --local, both work on
the simulated account instead (no AWS credentials). Operator IAM: states:ListStateMachines (only without
--state-machine-arn), StartExecution, DescribeExecution, GetExecutionHistory, ListExecutions.`;

export async function main(argv: string[], print: Print = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const o = parseCli(argv);
  if (o.command !== 'patch' && o.command !== 'status') {
    print(`unknown command ${o.command}: use patch or status`);
    return 2;
  }
  const unknownStage = o.stages?.split(',').find((s) => !(STAGES as readonly string[]).includes(s.trim()));
  if (unknownStage !== undefined) {
    print(`--stages: unknown stage "${unknownStage}"; use ${STAGES.join(', ')}`);
    return 2;
  }
  if (o.local) return runLocal(o, print);
  // The region as `serverless deploy` takes it: --region, else the stack's default (never "Region is missing").
  const region = o.region ?? DEPLOY_DEFAULT_REGION;
  const client = new SFNClient({ region });
  try {
    const arn = await stateMachineArn(client, o);
    return await (o.command === 'status' ? status(client, arn, o, print) : patch(client, arn, o, print, { history: true }));
  } catch (error) {
    const line = awsProblem(error, region);
    if (line === undefined) throw error;
    print(line);
    return 1;
  }
}

export async function status(client: SFNClient, arn: string, o: CliOptions, print: Print): Promise<number> {
  print(`Recent runs of ${nameOf(arn)}:`);
  for (const line of await listRuns(client, arn, Number(o.max))) print(`  ${line}`);
  return 0;
}

export async function patch(client: SFNClient, arn: string, o: CliOptions, print: Print, opts: { history: boolean }): Promise<number> {
  const input = inputFrom(o);
  const name = o.name ?? manualRunName(input);
  const executionArn = await startRun(client, arn, name, input);
  print(`Started ${name}${input.dryRun ? ' (dry-run: nothing will change)' : ''}`);
  const final = await follow(client, executionArn, print, { pollSeconds: Number(o['poll-seconds']), ...opts });
  print(`${final.status}: ${formatExecution(final)}`);
  const plan = parseJson(final.output) as { notice?: { message?: string } } | undefined;
  if (final.status === 'SUCCEEDED' && input.dryRun && plan?.notice?.message) print(`\n${plan.notice.message}`);
  return final.status === 'SUCCEEDED' ? 0 : 1;
}

/**
 * --local: the same start/follow/list code against the simulated account, inside a
 * rehearsal of the scenario (the simulation has no GetExecutionHistory, so progress
 * comes from the rehearsal's timeline of state entries instead).
 */
export async function runLocal(o: CliOptions, print: Print): Promise<number> {
  const { rehearse } = await import('../local/rehearsal.js');
  const { loadScenario } = await import('../local/scenario.js');
  const scenario = loadScenario(o.scenario);
  const tracker = new ProgressTracker();
  const shown = new Map<string, string>();
  const start = Date.parse(scenario.start);
  let code = 1;
  await rehearse(scenario, {
    onTimeline: (e) => {
      if (o.command !== 'patch' || e.kind !== 'state') return;
      tracker.enter(e.execution, e.text);
      const line = tracker.line(e.execution);
      if (shown.get(e.execution) !== line) print(`[+${((Date.parse(e.t) - start) / 3600000).toFixed(2)}h] ${line}`);
      shown.set(e.execution, line);
    },
    start: async (runner) => {
      const client = new SFNClient({ region: scenario.fleet.region });
      const arn = runner.arns.stateMachine('patch-run');
      if (o.command === 'status') {
        await runner.startRun(scenario.executionName ?? 'rehearsal', scenario.input);
        code = await status(client, arn, o, print);
      } else code = await patch(client, arn, { ...o, name: o.name ?? manualRunName(inputFrom(o), new Date()) }, print, { history: false });
    },
  });
  return code;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  exitWithUsageIfAsked(process.argv.slice(2), USAGE);
  process.exitCode = await main(process.argv.slice(2));
}
