import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../lib/config.js';
import { InvalidInputError } from '../lib/errors.js';
import { parseExecutionInput } from '../lib/input.js';
import { loadScenario, rehearse, writes } from './support/rehearse.js';

const config = parseConfig(parse(readFileSync('events/ci.config.yml', 'utf8')));
const sample = (file: string): unknown => JSON.parse(readFileSync(`events/${file}`, 'utf8'));

function problemsOf(raw: unknown): string[] {
  try {
    parseExecutionInput(raw, config);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  return [];
}

describe('execution input', () => {
  it.each(['manual-run.json', 'dry-run.json', 'rollout-only.json'])('accepts the sample events/%s', (file) => {
    expect(problemsOf(sample(file))).toEqual([]);
  });

  it('fills the defaults for an empty input: every stage, real run, wait when busy', () => {
    expect(parseExecutionInput({}, config)).toEqual({ trigger: 'manual', stages: ['build', 'fastLaunch', 'rollout'], dryRun: false, reason: '', whenBusy: 'wait' });
  });

  it('names each bad field with its fix', () => {
    const problems = problemsOf({ variants: ['win2016'], baseAmi: 'ami-XYZ', dryRun: 'yes', stages: ['deploy'], colour: 'blue' });

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^input\.baseAmi: use an AMI id/),
        expect.stringMatching(/^input\.dryRun: .*\(got "yes"\)/),
        expect.stringMatching(/^input\.stages\[0\]: use one of build, fastLaunch, rollout/),
        expect.stringMatching(/^input\.colour: not an input field/),
        expect.stringMatching(/^input\.variants\[0\]: no variant "win2016"/),
      ]),
    );
  });

  it('refuses a variant or node group that is not in the config', () => {
    expect(problemsOf({ variants: ['win2016-core-131'], nodeGroups: ['eks-win2022-canary', 'nope'] })).toEqual([
      expect.stringMatching(/^input\.variants\[0\]: no variant "win2016-core-131" in the config; use one of win2022-core-131, win2019-core-131/),
      expect.stringMatching(/^input\.nodeGroups\[1\]: no node group "nope"/),
    ]);
  });

  it('asks for amiId when the build stage is left out, and for one variant with it', () => {
    expect(problemsOf({ stages: ['rollout'] })).toEqual([expect.stringMatching(/^input\.amiId: without the build stage/)]);
    expect(problemsOf({ stages: ['rollout'], amiId: 'ami-0123456789abcdef0' })).toEqual([expect.stringMatching(/^input\.variants: .*exactly one variant/)]);
  });
});

describe('a run with invalid input', () => {
  it('fails naming each bad field in the notification and the execution error, and writes nothing to AWS', async () => {
    const scenario = loadScenario('local/scenarios/sample.yml');
    scenario.input = { variants: ['win2016-core-131'], baseAmi: 'ami-XYZ', whenBusy: 'later' };

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    // The admins' notice; the stack's alarm on failed executions publishes to its own topic as well.
    const admin = report.notifications.filter((n) => n.topicArn.endsWith('-admins'));
    expect(admin).toHaveLength(1);
    const failure = admin[0];
    expect(failure?.subject).toMatch(/^FAILED input validation for run .*: nothing was changed$/);
    expect(failure?.attributes).toMatchObject({ severity: { StringValue: 'error' } });
    for (const field of ['input.baseAmi', 'input.whenBusy', 'input.variants'])
      for (const text of [failure?.message, report.run.error?.Cause]) expect(text).toContain(field);
    expect(report.run.error?.Error).toBe('InvalidInputError');
    // The operator's own StartExecution, then the failure notice: nothing else.
    expect(writes(report).map((c) => `${c.fn}:${c.operation}`)).toEqual(['operator:StartExecution', 'states:Publish']);
  });
});
