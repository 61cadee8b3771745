import aslValidator from 'asl-validator';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDefinition, stackArns } from '../local/runner.js';

/** The definitions as CloudFormation deploys them: intrinsics resolved to ARNs. */
const arns = stackArns({ stage: 'ci', region: 'us-west-2', accountId: '111122223333' });
const FILES = ['patch-run.asl.json', 'patch-variant.asl.json'];

type Retrier = { ErrorEquals: string[]; IntervalSeconds?: number; BackoffRate?: number; MaxAttempts?: number; MaxDelaySeconds?: number; JitterStrategy?: string };
type State = { Type: string; Resource?: unknown; Parameters?: Record<string, unknown>; Retry?: Retrier[]; Catch?: { Next: string }[]; ItemProcessor?: Machine; Next?: string; Default?: string; Choices?: { Next: string }[] };
type Machine = { StartAt: string; States: Record<string, State>; QueryLanguage?: string };

function tasks(m: Machine, insideCaughtMap = false): { name: string; state: State; caught: boolean }[] {
  return Object.entries(m.States).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [{ name, state, caught: insideCaughtMap || Boolean(state.Catch?.length) }] : []),
    ...(state.ItemProcessor ? tasks(state.ItemProcessor, insideCaughtMap || Boolean(state.Catch?.length)) : []),
  ]);
}

describe.each(FILES)('%s', (file) => {
  const definition = loadDefinition(file, arns) as unknown as Machine;

  it('is valid Amazon States Language (asl-validator)', () => {
    const { isValid, errorsText } = aslValidator(definition as never);
    expect(isValid, errorsText('\n')).toBe(true);
  });

  it('uses JSONPath, which the local runner executes (it would ignore JSONata silently)', () => {
    expect(readFileSync(`statemachines/${file}`, 'utf8')).not.toMatch(/JSONata|"Arguments"|"Output"\s*:\s*"\{%/);
  });

  it('tests types only for a match (Is*: true): the local runner never matches Is*: false, which AWS matches when the test fails', () => {
    // aws-local-stepfunctions 3.0.0 evaluates `"IsNull": false` as `false && value === null`; write `Not` around a true test.
    expect(readFileSync(`statemachines/${file}`, 'utf8')).not.toMatch(/"Is(Null|Present|Numeric|String|Boolean|Timestamp)"\s*:\s*false/);
  });

  it('retries every task on throttling and AWS faults with full jitter, and catches every failure', () => {
    for (const { name, state, caught } of tasks(definition)) {
      const retry = JSON.stringify(state.Retry ?? []);
      expect(retry, name).toContain('"JitterStrategy":"FULL"');
      const isFailurePath = /^(Report|Notify)\w*Failure$|^NotifyRunSkipped$/.test(name);
      if (!isFailurePath) expect(caught, `${name} has no Catch into the failure path`).toBe(true);
    }
  });

  const publishes = tasks(definition).filter((t) => t.state.Resource === 'arn:aws:states:::sns:publish');

  it('tags every notice with the variants it concerns (the variant message attribute, as SNS String.Array)', () => {
    expect(publishes.length).toBeGreaterThan(0);
    for (const { name, state } of publishes) {
      const attrs = state.Parameters?.MessageAttributes as Record<string, Record<string, unknown>> | undefined;
      expect(attrs?.variant, name).toEqual({ DataType: 'String.Array', 'StringValue.$': expect.stringMatching(/^\$\.\w+\.notice\.variant$/) });
    }
  });

  it('retries every notice on SNS throttling and faults for ten minutes or more on average (full jitter halves the backoff)', () => {
    for (const { name, state } of publishes) {
      const r = state.Retry?.find((x) => x.ErrorEquals.includes('SNS.ThrottledException'));
      expect(r, name).toBeDefined();
      expect(r?.ErrorEquals).toEqual(expect.arrayContaining(['SNS.InternalErrorException', 'States.Timeout']));
      const delays = Array.from({ length: r?.MaxAttempts ?? 3 }, (_, k) => Math.min((r?.IntervalSeconds ?? 1) * (r?.BackoffRate ?? 2) ** k, r?.MaxDelaySeconds ?? Infinity));
      expect(delays.reduce((a, b) => a + b, 0) / 2, name).toBeGreaterThanOrEqual(600);
    }
  });

  it('ends the execution failed, with its own cause, when a failure notice cannot be published', () => {
    for (const { name, state } of publishes.filter((p) => /Failure$/.test(p.name))) {
      const next = state.Catch?.[0]?.Next as string;
      expect(definition.States[next]?.Type, name).toBe('Fail');
      expect(definition.States[state.Next as string]?.Type, name).toBe('Fail');
    }
  });
});
