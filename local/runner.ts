import './polyfill.js';
import './map-fail-fast.js';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { withRetries } from '../lib/aws/retry.js';
import { ExecutionAlarms } from './alarm.js';
import { matches, statemachinePatterns, type EventPattern } from './eventbridge.js';
import type { SimulatedAccount } from './sim/account.js';

/**
 * Runs statemachines/*.asl.json with aws-local-stepfunctions: each Task goes, by its
 * Resource, to the real Lambda handler, to the simulated SNS (sns:publish), to the
 * simulated SSM (aws-sdk:ssm:*), or to a nested local execution
 * (states:startExecution.sync:2). Nothing in lib/ knows.
 */
const ROOT = resolve(import.meta.dirname, '..');
const SNS_PUBLISH = 'arn:aws:states:::sns:publish';
const START_SYNC = 'arn:aws:states:::states:startExecution.sync:2';
const SDK_SSM = 'arn:aws:states:::aws-sdk:ssm:';
const SDK_S3 = 'arn:aws:states:::aws-sdk:s3:';
/** Step Functions' limit on a state's input or output, and on an execution's input. */
const STATE_DATA_LIMIT = 262_144;

type Json = Parameters<StateMachine['run']>[0];
type Handler = (event: unknown, context?: unknown) => Promise<unknown>;
type State = { Type: string; Resource?: unknown; Parameters?: unknown; ItemProcessor?: Machine; Iterator?: Machine; Branches?: Machine[] };
type Machine = { StartAt: string; States: Record<string, State> };

export interface StackNames {
  stage: string;
  region: string;
  accountId: string;
}

/** The deployed names the CloudFormation intrinsics in the definitions resolve to. */
export function stackArns(s: StackNames) {
  const prefix = `eks-windows-patch-${s.stage}`;
  return {
    stage: s.stage,
    lambda: (key: string) => `arn:aws:lambda:${s.region}:${s.accountId}:function:${prefix}-${key}`,
    stateMachine: (key: string) => `arn:aws:states:${s.region}:${s.accountId}:stateMachine:${prefix}-${key}`,
    topic: `arn:aws:sns:${s.region}:${s.accountId}:${prefix}-admins`,
    /** AlarmTopic (resources/stack.yml): CloudFormation names it after the stack. */
    alarmTopic: `arn:aws:sns:${s.region}:${s.accountId}:${prefix}-AlarmTopic`,
    infrastructure: `arn:aws:imagebuilder:${s.region}:${s.accountId}:infrastructure-configuration/${prefix}`,
    fastLaunchTemplateName: `${prefix}-fast-launch`,
    /** RunStateBucket (resources/stack.yml): CloudFormation generates its name; this one stands for it. */
    runStateBucket: `${prefix}-runstatebucket-${s.accountId}`,
    /** CloudFormation's pseudo parameters, for {"Fn::Sub": "…"} in the definitions. */
    pseudo: { 'AWS::Partition': 'aws', 'AWS::Region': s.region, 'AWS::AccountId': s.accountId } as Record<string, string>,
  };
}

const cfnTags = ['!Ref', '!Sub', '!GetAtt', '!Equals', '!If', '!Join'].map((tag) => ({ tag, resolve: (v: string) => v }));

/** serverless.yml as plain YAML (CloudFormation tags kept as their text; ${…} variables unresolved). */
export function serverlessYml<T>(): T {
  return parse(readFileSync(resolve(ROOT, 'serverless.yml'), 'utf8'), { customTags: cfnTags }) as T;
}

/** serverless.yml's function keys and handler files (only `handler` is read). */
export function functionHandlers(): Record<string, string> {
  const doc = serverlessYml<{ functions: Record<string, { handler: string }> }>();
  return Object.fromEntries(Object.entries(doc.functions).map(([key, f]) => [key, f.handler]));
}

/**
 * Replaces {"Fn::GetAtt": [XLambdaFunction, "Arn"]}, {"Ref": X} and {"Fn::Sub": "…"} (pseudo parameters) with what they stand for, and the framework's
 * ${sls:stage} (Serverless resolves variables in files loaded with ${file(...)}) with the stage.
 */
function resolveIntrinsics(value: unknown, arns: ReturnType<typeof stackArns>): unknown {
  if (typeof value === 'string') return value.replaceAll('${sls:stage}', arns.stage);
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, arns));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const getAtt = o['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt && getAtt[0].endsWith('LambdaFunction')) {
    const logical = getAtt[0].slice(0, -'LambdaFunction'.length);
    return arns.lambda(logical[0]?.toLowerCase() + logical.slice(1));
  }
  if (typeof o['Fn::Sub'] === 'string') {
    const sub = resolveIntrinsics(o['Fn::Sub'], arns) as string;
    return sub.replace(/\$\{([A-Za-z:]+)\}/g, (_match, name: string) => {
      const v = arns.pseudo[name];
      if (v === undefined) throw new Error(`local runner cannot resolve \${${name}} in Fn::Sub ${sub}`);
      return v;
    });
  }
  if (typeof o.Ref === 'string') {
    if (o.Ref === 'AdminTopic') return arns.topic;
    if (o.Ref === 'RunStateBucket') return arns.runStateBucket;
    if (o.Ref.endsWith('StateMachine')) {
      const key = o.Ref.slice(0, -'StateMachine'.length);
      return arns.stateMachine(key.replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase()));
    }
    throw new Error(`local runner cannot resolve Ref ${o.Ref}`);
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveIntrinsics(v, arns)]));
}

export function loadDefinition(file: string, arns: ReturnType<typeof stackArns>): Machine {
  return resolveIntrinsics(JSON.parse(readFileSync(resolve(ROOT, 'statemachines', file), 'utf8')), arns) as Machine;
}

function taskStates(m: Machine, out: [string, State][] = []): [string, State][] {
  for (const [name, s] of Object.entries(m.States)) {
    if (s.Type === 'Task') out.push([name, s]);
    for (const child of [s.ItemProcessor, s.Iterator, ...(s.Branches ?? [])]) if (child) taskStates(child, out);
  }
  return out;
}

/** Lambda reports a thrown error to Step Functions as Error = errorType, Cause = this JSON. */
class LambdaFunctionError extends Error {
  constructor(error: unknown) {
    const e = error instanceof Error ? error : new Error(String(error));
    super(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: (e.stack ?? '').split('\n').slice(0, 5) }));
    this.name = e.name;
  }
}

class ChildExecutionFailed extends Error {
  constructor(cause: string) {
    super(cause);
    this.name = 'States.TaskFailed';
  }
}

/**
 * Step Functions names a failed service integration `<Service>.<exception class>`
 * (SNS.ThrottledException); codes the service does not model become its generic
 * exception (StepFunctions.AWSStepFunctionsException). ASL Retry rules match those names.
 */
const MODELED: Record<string, Record<string, string>> = {
  SNS: { Throttled: 'ThrottledException', ThrottledException: 'ThrottledException' },
  StepFunctions: {},
};
const GENERIC: Record<string, string> = { SNS: 'AmazonSNSException', StepFunctions: 'AWSStepFunctionsException' };
async function integration<T>(service: 'SNS' | 'StepFunctions', call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const modeled = MODELED[service]?.[e.name] ?? (/Exception$/.test(e.name) && !/^Throttl/.test(e.name) ? e.name : GENERIC[service]);
    const wrapped = new Error(e.message);
    wrapped.name = `${service}.${modeled}`;
    throw wrapped;
  }
}

/**
 * Step Functions Developer Guide, "Learning to use AWS service SDK integrations in Step Functions": parameters are
 * PascalCase (as the API's own), and a failed call's Error is `ServiceName.ErrorName`, both PascalCase, the error name
 * always with the Exception suffix even where the service's API Reference leaves it off (S3.BucketAlreadyExistsException):
 * SSM's ParameterNotFound is `Ssm.ParameterNotFoundException`. The result is the API's response as JSON.
 */
const SSM_ACTIONS: Record<string, (ssm: SSMClient, p: never) => Promise<{ $metadata?: unknown }>> = {
  getParameter: (ssm, p) => ssm.send(new GetParameterCommand(p)),
  putParameter: (ssm, p) => ssm.send(new PutParameterCommand(p)),
  deleteParameter: (ssm, p) => ssm.send(new DeleteParameterCommand(p)),
};
/**
 * Step Functions Developer Guide, "Learning to use AWS service SDK integrations in Step Functions": S3 GetObject's Body
 * comes back as text in the task's result (so the object must be UTF-8 and the result within the state's 256 KB);
 * PutObject takes a string Body.
 */
const S3_ACTIONS: Record<string, (s3: S3Client, p: never) => Promise<{ $metadata?: unknown }>> = {
  getObject: async (s3, p) => {
    const out = await s3.send(new GetObjectCommand(p));
    const { Body, ...rest } = out;
    return { ...rest, Body: (await Body?.transformToString('utf-8')) ?? '' };
  },
  putObject: (s3, p) => s3.send(new PutObjectCommand(p)),
};
async function sdkIntegration(service: string, call: () => Promise<{ $metadata?: unknown }>): Promise<Json> {
  try {
    const { $metadata: _, ...out } = await call();
    return JSON.parse(JSON.stringify(out)) as Json;
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const wrapped = new Error(e.message);
    wrapped.name = `${service}.${e.name.endsWith('Exception') ? e.name : `${e.name}Exception`}`;
    throw wrapped;
  }
}

/**
 * Each definition is validated once per process (by its text): the StateMachine constructor compiles the ASL schema,
 * about a third of a second each time. Every execution still gets its own instance (map-fail-fast.ts marks an
 * instance whose run failed).
 */
const validated = new Set<string>();
function newStateMachine(machine: Machine): StateMachine {
  const key = JSON.stringify(machine);
  const sm = new StateMachine(machine as unknown as StateMachineDefinition, { validationOptions: { checkArn: false, checkPaths: false, noValidate: validated.has(key) } });
  validated.add(key);
  return sm;
}

export interface ExecutionRecord {
  executionArn: string;
  name: string;
  stateMachine: string;
  /** The variant of a child execution, "run" for the parent. */
  label: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  /** The largest state input or output seen, in bytes (Step Functions allows 262,144). */
  maxStateBytes: number;
  /** Set when a state's data went over Step Functions' 256 KB: the execution fails, uncatchably. */
  dataLimitExceeded?: string;
  transitions: number;
  output?: unknown;
  error?: { Error: string; Cause: string };
}

export interface InvocationRecord {
  fn: string;
  t: string;
}

export interface RunnerEvents {
  onStateEntered?: (e: { execution: ExecutionRecord; state: string; type: string; t: number }) => void;
  onStateFailed?: (e: { execution: ExecutionRecord; state: string; error: string; cause: string; t: number }) => void;
}

/** Which Lambda is running now, for attributing AWS calls (IAM tests, per-function counts). */
export const currentFunction = new AsyncLocalStorage<string>();
/** Which execution (its variant, or "run" for the parent) the current work belongs to, for the timeline. */
export const currentExecution = new AsyncLocalStorage<string>();

/** A child execution is known by its variant; the parent is "run". */
const labelOf = (input: unknown) => {
  const i = input as { variant?: { id?: string }; detail?: { AutoScalingGroupName?: string } } | null;
  return i?.variant?.id ?? (i?.detail?.AutoScalingGroupName ? `hook:${i.detail.AutoScalingGroupName}` : 'run');
};

export class LocalStepFunctions {
  readonly executions: ExecutionRecord[] = [];
  readonly invocations: InvocationRecord[] = [];
  private readonly running = new Map<string, Promise<ExecutionRecord>>();
  private readonly machines = new Map<string, Machine>();
  private readonly handlers = new Map<string, Handler>();
  readonly arns: ReturnType<typeof stackArns>;
  /** The stack's alarms on failed and timed-out executions, which publish to the alarm topic. */
  private readonly alarms: ExecutionAlarms;

  constructor(
    private readonly account: SimulatedAccount,
    readonly names: StackNames,
    private readonly events: RunnerEvents = {},
  ) {
    this.arns = stackArns(names);
    this.alarms = new ExecutionAlarms(account, names, this.arns.alarmTopic);
    account.createBucket(this.arns.runStateBucket);
    this.machines.set(this.arns.stateMachine('patch-run'), loadDefinition('patch-run.asl.json', this.arns));
    this.machines.set(this.arns.stateMachine('patch-variant'), loadDefinition('patch-variant.asl.json', this.arns));
    this.machines.set(this.arns.stateMachine('lifecycle-action'), loadDefinition('lifecycle-action.asl.json', this.arns));
    this.deliverEventsToRules();
    account.setExecutionStarter((e) => {
      // The execution's own calls are the state machine's, not those of the Lambda that started it.
      if (this.machines.has(e.stateMachineArn)) {
        const input = JSON.parse(e.input || '{}') as Json;
        this.running.set(e.executionArn, currentFunction.run('states', () => currentExecution.run(labelOf(input), () => this.execute(e.stateMachineArn, e.name, e.executionArn, input))));
      }
    });
  }

  /**
   * The stack's EventBridge rule starts the lifecycle-action state machine for our hooks' lifecycle actions, as
   * EventBridge does: with a name of its own (no idempotency: a duplicate delivery is a second execution).
   */
  private deliverEventsToRules(): void {
    const doc = serverlessYml<{ stepFunctions: { stateMachines: Record<string, { events?: { eventBridge?: { event?: EventPattern } }[] }> } }>();
    const patterns = statemachinePatterns(doc.stepFunctions.stateMachines.lifecycleAction?.events, this.names.stage);
    const arn = this.arns.stateMachine('lifecycle-action');
    let delivered = 0;
    this.account.onEvent((event) => {
      if (!patterns.some((p) => matches(p, event))) return;
      const name = `eventbridge-${String(++delivered).padStart(6, '0')}`;
      // EventBridge retries a failed target invocation for up to 24 hours (User Guide, "Event retry policy").
      const sfn = new SFNClient({ region: this.names.region });
      // EventBridge's own call (the rule target's role), not the Lambda whose write led to the event.
      void currentFunction.run('eventbridge', () =>
        withRetries(() => sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(event) })), { operation: 'StartExecution', attempts: 20 }).catch(() => undefined),
      );
    });
  }

  /** The environment serverless.yml gives every function. */
  environment(configJson: string, fastLaunchTemplateId: string): Record<string, string> {
    return {
      STAGE: this.names.stage,
      AWS_REGION: this.names.region,
      TOPIC_ARN: this.arns.topic,
      PARAMETER_PREFIX: `/eks-windows-patch/${this.names.stage}`,
      STATE_MACHINE_ARN: this.arns.stateMachine('patch-run'),
      INFRASTRUCTURE_CONFIGURATION_ARN: this.arns.infrastructure,
      FAST_LAUNCH_TEMPLATE_ID: fastLaunchTemplateId,
      RUN_STATE_BUCKET: this.arns.runStateBucket,
      PIPELINE_CONFIG: configJson,
      // Lambda hands each function its role's credentials in these variables; the EKS token is signed with them.
      AWS_ACCESS_KEY_ID: 'ASIASIMULATEDROLE01',
      AWS_SECRET_ACCESS_KEY: 'simulated-secret-access-key',
      AWS_SESSION_TOKEN: 'simulated-session-token',
    };
  }

  /** Imports every handler named in serverless.yml (before the clock starts: imports are real I/O). */
  async loadHandlers(): Promise<void> {
    for (const [key, handler] of Object.entries(functionHandlers())) {
      const [file, exported] = handler.split(/\.(?=[^.]+$)/) as [string, string];
      const mod = (await import(resolve(ROOT, `${file}.ts`))) as Record<string, Handler>;
      this.handlers.set(this.arns.lambda(key), mod[exported] as Handler);
    }
  }

  /** Invokes a Lambda handler as the Lambda service would (for triggers; the state machine does it for its tasks). */
  async invoke(key: string, event: unknown): Promise<unknown> {
    return this.invokeArn(this.arns.lambda(key), event);
  }

  private async invokeArn(arn: string, event: unknown): Promise<unknown> {
    const handler = this.handlers.get(arn);
    if (!handler) throw new Error(`no local handler for ${arn}`);
    const fn = arn.split('-').pop() as string;
    this.invocations.push({ fn, t: new Date().toISOString() });
    try {
      return await currentFunction.run(fn, () => handler(structuredClone(event), { functionName: fn, awsRequestId: `req-${this.invocations.length}` }));
    } catch (error) {
      throw new LambdaFunctionError(error);
    }
  }

  /** Starts the patch-run state machine as `aws stepfunctions start-execution` would. */
  /**
   * The operator's call is retried like any other (throttling, a lost answer): the name
   * is the run's, so a repeated start with the same input gets the same execution back
   * while it runs (StartExecution is idempotent for standard workflows).
   */
  async startRun(name: string, input: unknown): Promise<ExecutionRecord> {
    const sfn = new SFNClient({ region: this.names.region });
    const command = new StartExecutionCommand({ stateMachineArn: this.arns.stateMachine('patch-run'), name, input: JSON.stringify(input) });
    const out = await withRetries(() => sfn.send(command), { operation: 'StartExecution', attempts: 20 });
    return this.completion(out.executionArn as string);
  }

  completion(executionArn: string): Promise<ExecutionRecord> {
    const p = this.running.get(executionArn);
    if (!p) throw new Error(`execution ${executionArn} is not running here`);
    return p;
  }

  /** Every execution started so far, to its end (triggers may start several). */
  async settled(): Promise<ExecutionRecord[]> {
    let count = -1;
    while (count !== this.running.size) {
      count = this.running.size;
      await Promise.all(this.running.values());
    }
    await this.alarms.settled();
    return this.executions;
  }

  private async execute(stateMachineArn: string, name: string, executionArn: string, input: Json): Promise<ExecutionRecord> {
    const machine = this.machines.get(stateMachineArn) as Machine;
    const record: ExecutionRecord = { executionArn, name, stateMachine: stateMachineArn.split(':').pop() as string, label: labelOf(input), status: 'RUNNING', transitions: 0, maxStateBytes: 0 };
    this.executions.push(record);
    const overrides = Object.fromEntries(taskStates(machine).map(([stateName, s]) => [stateName, this.taskHandler(s)]));
    const sm = newStateMachine(machine);
    const run = sm.run(input, {
      overrides: { taskResourceLocalHandlers: overrides },
      context: { Execution: { Id: executionArn, Name: name, StartTime: new Date().toISOString(), Input: input as never } },
    });
    void this.follow(record, run.eventLogs as AsyncGenerator<unknown>, run.abort);
    try {
      record.output = await run.result;
      record.status = 'SUCCEEDED';
    } catch (error) {
      const e = error as Error & { cause?: Error };
      const inner = e.cause instanceof Error ? e.cause : e;
      record.status = 'FAILED';
      record.error = { Error: inner.name, Cause: inner.message };
    }
    if (record.dataLimitExceeded) {
      record.status = 'FAILED';
      record.error = { Error: 'States.DataLimitExceeded', Cause: record.dataLimitExceeded };
    }
    if (record.status === 'SUCCEEDED') this.account.completeExecution(executionArn, 'SUCCEEDED', record.output);
    else {
      this.account.completeExecution(executionArn, 'FAILED', undefined, { error: record.error?.Error, cause: record.error?.Cause });
      this.alarms.executionEnded(stateMachineArn, 'ExecutionsFailed', Date.now());
    }
    return record;
  }

  /**
   * Step Functions fails an execution whose state input or output exceeds 256 KB with
   * States.DataLimitExceeded, which no Catch handles; aws-local-stepfunctions has no such
   * limit, so the runner enforces it here.
   */
  private async follow(record: ExecutionRecord, events: AsyncGenerator<unknown>, abort: () => void): Promise<void> {
    for await (const event of events) {
      const e = event as Record<string, unknown>;
      const state = e.state as { name: string; type: string; input?: unknown; output?: unknown } | undefined;
      for (const [what, value] of [['input', state?.input], ['output', state?.output]] as const) {
        const bytes = value === undefined || record.dataLimitExceeded ? 0 : Buffer.byteLength(JSON.stringify(value));
        record.maxStateBytes = Math.max(record.maxStateBytes, bytes);
        if (bytes > STATE_DATA_LIMIT) {
          record.dataLimitExceeded = `The state/task '${state?.name}' ${what} is ${bytes} bytes, over the 262144-byte limit`;
          abort();
        }
      }
      if (e.type === 'StateEntered' && state) {
        record.transitions++;
        this.events.onStateEntered?.({ execution: record, state: state.name, type: state.type, t: e.timestamp as number });
      }
      if (e.type === 'StateFailed' && state)
        this.events.onStateFailed?.({ execution: record, state: state.name, error: String(e.Error), cause: String(e.Cause), t: e.timestamp as number });
    }
  }

  private taskHandler(state: State): (input: Json) => Promise<Json> {
    const resource = String(state.Resource);
    if (resource === SNS_PUBLISH)
      return async (params) => {
        await integration('SNS', () => new SNSClient({ region: this.names.region }).send(new PublishCommand(params as never)));
        return {};
      };
    if (resource === START_SYNC)
      return async (params) => {
        const p = params as { StateMachineArn: string; Name: string; Input: unknown };
        const out = await integration('StepFunctions', () =>
          new SFNClient({ region: this.names.region }).send(new StartExecutionCommand({ stateMachineArn: p.StateMachineArn, name: p.Name, input: JSON.stringify(p.Input) })),
        );
        const child = await this.completion(out.executionArn as string);
        const described = { ExecutionArn: child.executionArn, Name: child.name, StateMachineArn: p.StateMachineArn, Status: child.status, Output: child.output ?? null };
        if (child.status !== 'SUCCEEDED') throw new ChildExecutionFailed(JSON.stringify({ ...described, Error: child.error?.Error, Cause: child.error?.Cause }));
        return described as Json;
      };
    if (resource.startsWith(SDK_SSM)) {
      const call = SSM_ACTIONS[resource.slice(SDK_SSM.length)];
      if (!call) throw new Error(`the local runner does not route Task resource ${resource}`);
      return (params) => sdkIntegration('Ssm', () => call(new SSMClient({ region: this.names.region }), params as never));
    }
    if (resource.startsWith(SDK_S3)) {
      const call = S3_ACTIONS[resource.slice(SDK_S3.length)];
      if (!call) throw new Error(`the local runner does not route Task resource ${resource}`);
      return (params) => sdkIntegration('S3', () => call(new S3Client({ region: this.names.region }), params as never));
    }
    if (resource.startsWith('arn:aws:lambda:')) return (input) => this.invokeArn(resource, input) as Promise<Json>;
    throw new Error(`the local runner does not route Task resource ${resource}`);
  }
}

