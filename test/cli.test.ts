import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../lib/config.js';
import { parseExecutionInput } from '../lib/input.js';
import { isValidExecutionName } from '../lib/names.js';
import { follow, inputFrom, main, manualRunName, parseCli, patch, ProgressTracker, readHistory, stateMachineArn } from '../scripts/cli.js';

const config = parseConfig(parse(readFileSync('events/ci.config.yml', 'utf8')));
const ARN = 'arn:aws:states:us-west-2:111122223333:stateMachine:eks-windows-patch-prod-patch-run';
const EXEC = 'arn:aws:states:us-west-2:111122223333:execution:eks-windows-patch-prod-patch-run:manual-1';
const CHILD = 'arn:aws:states:us-west-2:111122223333:execution:eks-windows-patch-prod-patch-variant:manual-1-win2022-core-131';

describe('the patch command line', () => {
  it('turns flags into an execution input that ValidateInput accepts', () => {
    const o = parseCli(['patch', '--variant', 'win2022-core-131', '--node-group', 'eks-win2022-canary', '--stages', 'rollout', '--ami-id', 'ami-0123456789abcdef0', '--reason', 'hotfix', '--skip-if-busy']);

    const input = inputFrom(o);

    expect(input).toEqual({ variants: ['win2022-core-131'], nodeGroups: ['eks-win2022-canary'], stages: ['rollout'], amiId: 'ami-0123456789abcdef0', whenBusy: 'skip', reason: 'hotfix' });
    expect(() => parseExecutionInput(input, config)).not.toThrow();
  });

  it('names manual runs within Step Functions rules, dry-runs apart', () => {
    const now = new Date('2026-11-15T09:30:12.345Z');
    expect(manualRunName({ reason: '', variants: ['win2022-core-131'] }, now)).toBe('manual-20261115T093012Z-win2022-core-131');
    expect(manualRunName({ reason: '', dryRun: true }, now)).toBe('dry-run-20261115T093012Z');
    expect(isValidExecutionName(manualRunName({ reason: '', variants: Array.from({ length: 9 }, (_, i) => `win2022-core-131-${i}`) }, now))).toBe(true);
  });

  it('refuses an unknown pipeline stage before calling AWS', async () => {
    const lines: string[] = [];
    expect(await main(['patch', '--stages', 'build,deploy'], (l) => lines.push(l))).toBe(2);
    expect(lines).toEqual(['--stages: unknown stage "deploy"; use build, fastLaunch, rollout']);
  });
});

describe('progress from the execution history', () => {
  const entered = (name: string): HistoryEvent => ({ type: 'TaskStateEntered', id: 0, timestamp: new Date(0), stateEnteredEventDetails: { name } });
  const lambdaOut = (output: unknown): HistoryEvent => ({ type: 'LambdaFunctionSucceeded', id: 0, timestamp: new Date(0), lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) } });

  it('shows stage, wave of waves and refresh percentage, and finds the child executions', () => {
    const tracker = new ProgressTracker();
    const parent = [entered('ValidateInput'), entered('PlanRun'), { type: 'TaskSubmitted', id: 0, timestamp: new Date(0), taskSubmittedEventDetails: { resource: 'startExecution.sync:2', resourceType: 'states', output: JSON.stringify({ ExecutionArn: CHILD }) } } as HistoryEvent];
    const child: HistoryEvent[] = [
      { type: 'ExecutionStarted', id: 0, timestamp: new Date(0), executionStartedEventDetails: { input: JSON.stringify({ variant: { waves: [[], [], []] } }) } },
      entered('BuildPatchedImage'),
      entered('CheckImage'),
      entered('UpdateLaunchTemplates'),
      entered('CheckWave'),
      lambdaOut({ percent: 100 }),
      entered('UpdateLaunchTemplates'),
      entered('StartInstanceRefreshes'),
      entered('CheckWave'),
      lambdaOut({ percent: 42.4 }),
    ];

    expect(readHistory(tracker, 'run', parent)).toEqual([CHILD]);
    readHistory(tracker, 'win2022', child);

    expect(tracker.line('run')).toBe('run: planning');
    expect(tracker.line('win2022')).toBe('win2022: rollout, wave 2/3, 42% refreshed');
  });
});

describe('against the deployed stack (SDK mocked)', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());

  it('finds the state machine by its stage name', async () => {
    sfn.on(ListStateMachinesCommand).resolvesOnce({ stateMachines: [{ name: 'other', stateMachineArn: 'x', type: 'STANDARD', creationDate: new Date() }], nextToken: 't' }).resolvesOnce({ stateMachines: [{ name: 'eks-windows-patch-prod-patch-run', stateMachineArn: ARN, type: 'STANDARD', creationDate: new Date() }] });

    expect(await stateMachineArn(new SFNClient({ region: 'us-west-2' }), { stage: 'prod', 'state-machine-arn': undefined })).toBe(ARN);
  });

  it('starts the run and follows it until it ends, printing each change once', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    sfn.on(DescribeExecutionCommand)
      .resolvesOnce({ executionArn: EXEC, stateMachineArn: ARN, status: 'RUNNING', startDate: new Date('2026-11-15T09:00:00Z') })
      .resolves({ executionArn: EXEC, stateMachineArn: ARN, name: 'manual-1', status: 'SUCCEEDED', startDate: new Date('2026-11-15T09:00:00Z'), stopDate: new Date('2026-11-15T11:30:00Z'), output: '[{}]' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [{ type: 'TaskStateEntered', id: 1, timestamp: new Date(), stateEnteredEventDetails: { name: 'PlanRun' } }] });
    const lines: string[] = [];

    const code = await patch(new SFNClient({ region: 'us-west-2' }), ARN, parseCli(['patch', '--name', 'manual-1', '--poll-seconds', '0']), (l) => lines.push(l), { history: true });

    expect(code).toBe(0);
    expect(lines).toEqual(['Started manual-1', 'run: planning', 'SUCCEEDED: 2026-11-15 09:00 UTC  SUCCEEDED manual-1 (150 min) - 1 variant(s) patched']);
    expect(JSON.parse(String(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input))).toMatchObject({ reason: expect.stringContaining('from the CLI') });
  });

  it('returns the failed execution for a run that fails', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXEC, stateMachineArn: ARN, status: 'FAILED', startDate: new Date(), cause: 'input validation failed' });
    const final = await follow(new SFNClient({ region: 'us-west-2' }), EXEC, () => undefined, { pollSeconds: 0, history: false });
    expect(final.status).toBe('FAILED');
  });
});

describe('--local, on the simulated account', () => {
  it('a dry-run prints progress and the plan, and succeeds', async () => {
    const lines: string[] = [];

    const code = await main(['patch', '--local', '--dry-run', '--variant', 'win2019-core-131'], (l) => lines.push(l));

    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^Started dry-run-20261115T090000Z-win2019-core-131 \(dry-run: nothing will change\)$/);
    expect(lines).toContain('[+0.00h] run: planning');
    expect(lines.join('\n')).toMatch(/SUCCEEDED .* - dry-run plan/);
    expect(lines.join('\n')).toContain('eks-win2019-legacy: launch template');
  });

  it('a real run follows every variant through image build, fast launch and each wave', async () => {
    const lines: string[] = [];

    const code = await main(['patch', '--local', '--reason', 'test'], (l) => lines.push(l));

    expect(code).toBe(0);
    for (const line of ['win2022-core-131: image build', 'win2022-core-131: fast launch', 'win2022-core-131: rollout, wave 2', 'run: summarizing'])
      expect(lines.some((l) => l.endsWith(line))).toBe(true);
  });

  it('status lists the runs with their outcome', async () => {
    const lines: string[] = [];
    expect(await main(['status', '--local'], (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(['Recent runs of eks-windows-patch-rehearsal-patch-run:', expect.stringMatching(/^ {2}2026-11-15 09:00 UTC {2}SUCCEEDED rehearsal \(\d+ min\) - 2 variant\(s\) patched$/)]);
  });

  it('npm run patch -- --local --dry-run works from a shell', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'patch', '--', '--local', '--dry-run'], { timeout: 60_000 });
    expect(stdout).toContain('Dry-run plan for dry-run-');
  }, 60_000);
});
