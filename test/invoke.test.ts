import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main, targetOf, timeOf } from '../local/invoke.js';
import { functionHandlers } from '../local/runner.js';

const functions = Object.keys(functionHandlers());

describe('npm run invoke: where an event goes', () => {
  it('an SNS record to the function subscribed to its topic, a schedule to its rule\'s function, anything else to patch-run', () => {
    const sns = { Records: [{ EventSource: 'aws:sns', Sns: { TopicArn: 'arn:aws:sns:us-east-1:801119661308:ec2-windows-ami-update' } }] };
    const tick = (rule: string) => ({ source: 'aws.events', 'detail-type': 'Scheduled Event', resources: [`arn:aws:events:us-west-2:111122223333:rule/${rule}`] });
    expect(targetOf(sns, functions)).toEqual({ kind: 'function', key: 'detectRelease' });
    expect(targetOf(tick('eks-windows-patch-dev-MonthlyGateEventsRuleSchedule1'), functions)).toEqual({ kind: 'function', key: 'monthlyGate' });
    expect(targetOf(tick('eks-windows-patch-prod-DetectReleaseEventsRuleSchedule1'), functions)).toEqual({ kind: 'function', key: 'detectRelease' });
    expect(targetOf({ dryRun: true, reason: 'x' }, functions)).toEqual({ kind: 'execution' });
    expect(targetOf({ dryRun: true }, functions, 'monthlyGate')).toEqual({ kind: 'function', key: 'monthlyGate' });
  });

  it('says in one line what it cannot route', () => {
    expect(targetOf({ source: 'aws.events', 'detail-type': 'Scheduled Event', resources: ['arn:aws:events:us-west-2:1:rule/other'] }, functions)).toBe('resources[0]: no function of the stack has the schedule rule other; pass --function KEY');
    expect(targetOf({ Records: [{ EventSource: 'aws:sns', Sns: { TopicArn: 'arn:aws:sns:us-east-1:1:other' } }] }, functions)).toBe('Records: no function of the stack is subscribed to arn:aws:sns:us-east-1:1:other; pass --function KEY');
    expect(targetOf({}, functions, 'nope')).toMatch(/^--function: no function nope in serverless.yml; use one of .*monthlyGate/);
  });

  it('runs at the time the event carries', () => {
    expect(timeOf({ time: '2026-11-12T19:00:00Z' })).toBe('2026-11-12T19:00:00.000Z');
    expect(timeOf({ Records: [{ Sns: { Timestamp: '2026-11-12T18:42:11.000Z' } }] })).toBe('2026-11-12T18:42:11.000Z');
    expect(timeOf({ reason: 'x' })).toBeUndefined();
  });
});

/** What each sample does on the sample account: every file of events/ is here, so a new sample needs its expectation. */
const EXPECTED: Record<string, RegExp[]> = {
  'dry-run.json': [/^Run invoke-dry-run: SUCCEEDED$/m, /^ {2}Dry-run plan: 2 variant\(s\), 5 node group\(s\)/m],
  'manual-run.json': [/^Run invoke-manual-run: SUCCEEDED$/m, /^ {2}win2022-core-131: SUCCEEDED; patched 2$/m],
  'rollout-only.json': [/^Run invoke-rollout-only: SUCCEEDED$/m, /^ {2}win2022-core-131: SUCCEEDED; patched 3$/m],
  'monthly-gate.json': [/^monthlyGate returned: \{"due":true,.*"started":true/m, /^Run monthly-2026-11: SUCCEEDED$/m],
  'scheduled-detection.json': [/^detectRelease returned: \{"releases":\[/m, /^ {2}win2019-core-131: SUCCEEDED; patched 2$/m],
  'sns-nudge.json': [/^detectRelease returned: \{"releases":\[/m, /^ {2}win2022-core-131: SUCCEEDED; patched 3$/m],
};

describe('every sample event runs offline through the real handler', () => {
  const files = readdirSync('events').filter((f) => f.endsWith('.json')).sort();

  it('has an expectation for each file in events/', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(files)('events/%s', async (file) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main([`events/${file}`], (l) => out.push(l), (l) => err.push(l));
    const text = out.join('\n');
    expect(err).toEqual([]);
    expect(code, text).toBe(0);
    for (const want of EXPECTED[file] ?? [/^$/]) expect(text).toMatch(want);
  }, 120_000);

  it('refuses a file that is not JSON, in one line, with exit 2', async () => {
    const err: string[] = [];
    expect(await main(['README.md'], () => undefined, (l) => err.push(l))).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^README\.md: not JSON: /)]);
  });
});
