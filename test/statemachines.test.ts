import aslValidator from 'asl-validator';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDefinition, stackArns } from '../local/runner.js';

/** The definitions as CloudFormation deploys them: intrinsics resolved to ARNs. */
const arns = stackArns({ stage: 'ci', region: 'us-west-2', accountId: '111122223333' });
const FILES = ['patch-run.asl.json', 'patch-variant.asl.json'];

type State = { Type: string; Resource?: unknown; Retry?: unknown[]; Catch?: unknown[]; ItemProcessor?: Machine; Next?: string; Default?: string; Choices?: { Next: string }[] };
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

  it('retries every task on throttling and AWS faults with full jitter, and catches every failure', () => {
    for (const { name, state, caught } of tasks(definition)) {
      const retry = JSON.stringify(state.Retry ?? []);
      expect(retry, name).toContain('"JitterStrategy":"FULL"');
      const isFailurePath = /^(Report|Notify)\w*Failure$|^NotifyRunSkipped$/.test(name);
      if (!isFailurePath) expect(caught, `${name} has no Catch into the failure path`).toBe(true);
    }
  });
});
