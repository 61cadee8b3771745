import { awsError, type Ctx, type ExecRec, type Handlers, type Input } from './context.js';
import { uuid } from './sns.js';

export interface StartedExecution {
  stateMachineArn: string;
  name: string;
  input: string;
  executionArn: string;
}

function render(e: ExecRec): Record<string, unknown> {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: new Date(e.startDate),
    ...(e.stopDate !== undefined ? { stopDate: new Date(e.stopDate) } : {}),
  };
}

export function sfnHandlers(ctx: Ctx, onStart: () => ((e: StartedExecution) => void) | undefined): Handlers {
  // Step Functions API Reference, DescribeExecution / StopExecution: an unknown execution is ExecutionDoesNotExist.
  const find = (arn: unknown): ExecRec => {
    const e = ctx.state.executions.find((x) => x.executionArn === arn);
    if (!e) throw awsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return e;
  };
  return {
    StartExecution(input: Input) {
      const sm = input.stateMachineArn;
      // AWS Step Functions API Reference, StartExecution: a malformed ARN is InvalidArn. NOTE more forgiving than AWS: the
      // state machine is not checked to exist (StateMachineDoesNotExist).
      const m = typeof sm === 'string' ? /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([\w-]{1,80})$/.exec(sm) : null;
      if (!m || typeof sm !== 'string') throw awsError('InvalidArn', `Invalid Arn: '${String(sm)}'`);
      const name = input.name === undefined ? uuid(ctx) : input.name;
      // Step Functions API Reference, StartExecution: name 1–80 characters, no whitespace, brackets, wildcards or special
      // characters (InvalidName). The simulation allows only 0-9A-Za-z-_ (stricter).
      if (typeof name !== 'string' || !/^[0-9A-Za-z_-]{1,80}$/.test(name)) throw awsError('InvalidName', `Invalid Name: '${String(name)}'`);
      // Step Functions API Reference, StartExecution: input must be JSON (InvalidExecutionInput), at most 256 KB
      // (Step Functions Developer Guide, "Step Functions service quotas").
      const text = typeof input.input === 'string' ? input.input : '{}';
      try {
        JSON.parse(text);
      } catch {
        throw awsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
      }
      if (Buffer.byteLength(text, 'utf8') > 262_144) throw awsError('InvalidExecutionInput', 'Execution input exceeds 256 KB');
      const executionArn = `arn:aws:states:${m[1]}:${m[2]}:execution:${m[3]}:${name}`;
      const old = ctx.state.executions.find((e) => e.executionArn === executionArn);
      // Step Functions API Reference, StartExecution: "If StartExecution is called with the same name and input as a running
      // execution, the call will succeed and return the same response as the original request. If the execution is closed or
      // if the input is different, it will return a 400 ExecutionAlreadyExists error." Names reuse after 90 days: not modelled.
      if (old) {
        // Standard workflows: an identical start while running is answered with the original; anything else is a conflict.
        if (old.status === 'RUNNING' && old.input === text) return { executionArn, startDate: new Date(old.startDate) };
        throw awsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      const rec: ExecRec = { executionArn, stateMachineArn: sm, name, input: text, status: 'RUNNING', startDate: ctx.now() };
      ctx.state.executions.push(rec);
      onStart()?.({ stateMachineArn: sm, name, input: text, executionArn });
      return { executionArn, startDate: new Date(rec.startDate) };
    },
    DescribeExecution(input: Input) {
      const e = find(input.executionArn);
      return {
        ...render(e),
        input: e.input,
        ...(e.output !== undefined ? { output: e.output } : {}),
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.cause !== undefined ? { cause: e.cause } : {}),
      };
    },
    ListExecutions(input: Input) {
      const list = ctx.state.executions
        .filter((e) => e.stateMachineArn === input.stateMachineArn)
        .filter((e) => input.statusFilter === undefined || e.status === input.statusFilter)
        .sort((a, b) => b.startDate - a.startDate);
      // Step Functions API Reference, ListExecutions: newest first, maxResults (default 100 here), nextToken; a bad token is
      // InvalidToken. The 1–1000 range of maxResults is not checked (knowingly simplified).
      const max = typeof input.maxResults === 'number' && input.maxResults > 0 ? input.maxResults : 100;
      const from = typeof input.nextToken === 'string' ? Number(input.nextToken) : 0;
      if (!Number.isInteger(from) || from < 0) throw awsError('InvalidToken', 'Invalid token');
      const page = list.slice(from, from + max);
      return { executions: page.map(render), ...(from + max < list.length ? { nextToken: String(from + max) } : {}) };
    },
    StopExecution(input: Input) {
      const e = find(input.executionArn);
      // Step Functions API Reference, StopExecution: a running execution becomes ABORTED; stopping a closed one is accepted
      // and changes nothing (not documented otherwise).
      if (e.status === 'RUNNING') {
        e.status = 'ABORTED';
        e.stopDate = ctx.now();
        if (typeof input.error === 'string') e.error = input.error;
        if (typeof input.cause === 'string') e.cause = input.cause;
      }
      return { stopDate: new Date(e.stopDate ?? ctx.now()) };
    },
  };
}

export function completeExecution(
  ctx: Ctx,
  executionArn: string,
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED',
  output?: unknown,
  failure?: { error?: string; cause?: string },
): void {
  const e = ctx.state.executions.find((x) => x.executionArn === executionArn);
  if (!e) throw awsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
  e.status = status;
  e.stopDate = ctx.now();
  if (output !== undefined) e.output = typeof output === 'string' ? output : JSON.stringify(output);
  if (failure?.error !== undefined) e.error = failure.error;
  if (failure?.cause !== undefined) e.cause = failure.cause;
}
