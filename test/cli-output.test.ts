import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEPLOY_DEFAULT_REGION, formatExecution, main, ProgressTracker } from '../scripts/cli.js';
import { FAILED, loadDefinitions, MARKER_STATES, stagesOf } from '../scripts/progress.js';

/** Every state of a definition, nested ones included. */
function states(machine: { States: Record<string, { Type: string; Iterator?: unknown; ItemProcessor?: unknown; Branches?: unknown[] }> }): [string, string][] {
  return Object.entries(machine.States).flatMap(([name, s]) => [
    [name, s.Type] as [string, string],
    ...[s.Iterator, s.ItemProcessor, ...(s.Branches ?? [])].flatMap((inner) => (inner ? states(inner as Parameters<typeof states>[0]) : [])),
  ]);
}

describe('progress follows the state machines', () => {
  const definitions = loadDefinitions();
  const stages = stagesOf(definitions);

  it('gives every state of patch-run and patch-variant a stage (but a first state before any), and each stage marker is a state of them', () => {
    const all = definitions.flatMap(states);
    expect(all.filter(([name]) => !stages.has(name) && !definitions.some((d) => d.StartAt === name))).toEqual([]);
    for (const marker of MARKER_STATES) expect(all.map(([n]) => n)).toContain(marker);
  });

  it('puts each state in the stage it sits in, not the one its name suggests', () => {
    const stage = (s: string) => stages.get(s)?.stage;
    expect([stage('BuildPatchedImage'), stage('CheckImage'), stage('NotifyImageReady')]).toEqual(['image build', 'image build', 'image build']);
    expect([stage('ReadCurrentImageParameter'), stage('NoImageParameterYet'), stage('PublishImageParameterAfterCanary'), stage('CheckWave')]).toEqual(['rollout', 'rollout', 'rollout', 'rollout']);
    expect(stage('RetireOldImages')).toBe('retiring old images');
    expect([stage('ReportVariantFailure'), stage('RestoreImageParameter'), stage('RoundFailed'), stage('RunStoppedBeforeChanges')]).toEqual([FAILED, FAILED, FAILED, FAILED]);
  });

  it('never goes back to an earlier stage', () => {
    const tracker = new ProgressTracker();
    for (const s of ['BuildPatchedImage', 'EnableFastLaunch', 'NameImageParameter', 'UpdateLaunchTemplates', 'CheckImage']) tracker.enter('v', s);
    expect(tracker.line('v')).toBe('v: rollout, wave 1');
    tracker.enter('v', 'RetireOldImages');
    expect(tracker.line('v')).toBe('v: retiring old images');
  });

  it('a local run shows each variant in stage order, every stage once', async () => {
    const lines: string[] = [];
    expect(await main(['patch', '--local', '--reason', 'test'], (l) => lines.push(l))).toBe(0);

    const seen = lines.flatMap((l) => /^\[\+[\d.]+h\] win2022-core-131: ([a-z ]+?)(,|$)/.exec(l)?.[1] ?? []);
    expect([...new Set(seen)]).toEqual(['image build', 'fast launch', 'rollout', 'retiring old images', 'done']);
    const ranks = seen.map((s) => [...stages.values()].find((x) => x.stage === s)?.rank ?? -1);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  }, 60_000);
});

describe('a failed run prints its whole cause', () => {
  it('every line of the Cause, first on the run\'s line and the rest below it', () => {
    const cause = 'input validation failed, nothing was changed. execution input is invalid:\n  - input.variants[0]: no variant "x"\n  - input.nodeGroups[0]: no node group "y"';
    const text = formatExecution({ name: 'manual-1', status: 'FAILED', startDate: new Date('2026-11-15T09:00:00Z'), stopDate: new Date('2026-11-15T09:01:00Z'), cause });
    expect(text.split('\n')).toEqual([
      '2026-11-15 09:00 UTC  FAILED    manual-1 (1 min) - input validation failed, nothing was changed. execution input is invalid:',
      '      - input.variants[0]: no variant "x"',
      '      - input.nodeGroups[0]: no node group "y"',
    ]);
  });

  it('npm run patch -- --local with bad input names every bad field', async () => {
    const lines: string[] = [];
    expect(await main(['patch', '--local', '--variant', 'nope', '--node-group', 'nah'], (l) => lines.push(l))).toBe(1);
    const out = lines.join('\n');
    expect(out).toContain('execution input is invalid:');
    expect(out).toContain('input.variants[0]: no variant "nope" in the config; use one of win2022-core-131, win2019-core-131');
    expect(out).toContain('input.nodeGroups[0]: no node group "nah" in the config');
  }, 60_000);
});

describe('status and patch against AWS', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());

  it('default to the region serverless deploy uses', () => {
    expect(readFileSync('serverless.yml', 'utf8')).toContain(`region: \${opt:region, '${DEPLOY_DEFAULT_REGION}'}`);
  });

  it('print an AWS error as one line and exit 1', async () => {
    sfn.on(ListStateMachinesCommand).rejects(Object.assign(new Error('User: arn:aws:iam::111122223333:user/op is not authorized to perform: states:ListStateMachines'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    const lines: string[] = [];
    expect(await main(['status', '--stage', 'prod'], (l) => lines.push(l))).toBe(1);
    expect(lines).toEqual(['AccessDeniedException from Step Functions in us-west-2: User: arn:aws:iam::111122223333:user/op is not authorized to perform: states:ListStateMachines']);
  });

  it('npm run status -- --stage prod without --region or credentials says so in one line', () => {
    const env: Record<string, string | undefined> = { ...process.env, AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_EC2_METADATA_DISABLED: 'true' };
    for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_WEB_IDENTITY_TOKEN_FILE']) delete env[k];
    const run = spawnSync('npm', ['run', '--silent', 'status', '--', '--stage', 'prod'], { encoding: 'utf8', timeout: 60_000, env });
    expect(run.status).toBe(1);
    expect(run.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^no AWS credentials found \(.+\): run `aws configure` or `aws sso login`/)]);
    expect(run.stderr).not.toMatch(/Region is missing|^\s+at /m);
  }, 60_000);
});
