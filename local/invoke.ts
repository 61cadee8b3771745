import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { ConfigError } from '../lib/errors.js';
import { executionName } from '../lib/names.js';
import { exitWithUsageIfAsked } from '../scripts/usage.js';
import { exitWhenWritten } from './exit.js';
import { rehearse } from './rehearsal.js';
import { functionHandlers } from './runner.js';
import { loadScenario } from './scenario.js';
import { notificationsText, summarize } from './summary.js';

/**
 * npm run invoke -- events/FILE.json [--function KEY] [--scenario FILE] [--notifications]
 * Runs one sample event offline, through the real handler, against the simulated account (the stack's environment
 * given as the deployed stack would: `serverless invoke local` cannot resolve its Fn::Sub variables offline). The
 * event says where it goes, as in AWS: an SNS record goes to the function subscribed to its topic
 * (resources/stack.yml), a scheduled event to the function of its rule, anything else is an execution input for the
 * patch-run state machine. Every execution it starts runs to its end on the simulated clock.
 */
export const USAGE = `Usage: npm run invoke -- events/FILE.json [--function KEY] [--scenario FILE] [--notifications]
Runs one event file offline through the real handler against the simulated account, and every run it starts to its end.
Where it goes, as in AWS: an SNS record to the function subscribed to its topic, a scheduled EventBridge event to its
rule's function, anything else as execution input of the patch-run state machine (like \`aws stepfunctions
start-execution --input file://…\`). Exit 0 when the handler and every run it started succeeded, 1 otherwise, 2 for bad usage.
  --function KEY     invoke this function of serverless.yml instead (e.g. detectRelease, monthlyGate)
  --scenario FILE    the simulated account and config (default local/scenarios/events.yml: the sample's)
  --notifications    print each notification in full`;

export type Target = { kind: 'function'; key: string } | { kind: 'execution' };

const ROOT = resolve(import.meta.dirname, '..');
const cfnTags = ['!Ref', '!Sub', '!GetAtt', '!Equals', '!If', '!Join', '!Not', '!Condition'].map((tag) => ({ tag, resolve: (v: string) => v }));

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** resources/stack.yml's SNS subscriptions to Lambda functions: topic ARN → function key. */
function subscriptions(): Map<string, string> {
  const doc = parse(readFileSync(resolve(ROOT, 'resources/stack.yml'), 'utf8'), { customTags: cfnTags }) as { Resources?: Record<string, Resource> };
  const out = new Map<string, string>();
  for (const r of Object.values(doc.Resources ?? {})) {
    const p = r.Properties ?? {};
    const endpoint = String(p.Endpoint ?? '').match(/^(\w+)LambdaFunction\.Arn$/)?.[1];
    if (r.Type === 'AWS::SNS::Subscription' && p.Protocol === 'lambda' && endpoint) out.set(String(p.TopicArn), endpoint[0]?.toLowerCase() + endpoint.slice(1));
  }
  return out;
}

/** Where an event goes (the function key, or the patch-run state machine), or a one-line problem. */
export function targetOf(event: unknown, functions: string[], forced?: string): Target | string {
  if (forced !== undefined) return functions.includes(forced) ? { kind: 'function', key: forced } : `--function: no function ${forced} in serverless.yml; use one of ${functions.join(', ')}`;
  const e = (event && typeof event === 'object' ? event : {}) as Record<string, unknown>;
  const records = Array.isArray(e.Records) ? (e.Records as { EventSource?: unknown; Sns?: { TopicArn?: unknown } }[]) : undefined;
  if (records) {
    // Lambda's SNS event: {Records: [{EventSource: "aws:sns", Sns: {TopicArn, …}}]} (AWS Lambda Developer Guide, "Using Lambda with Amazon SNS").
    const topic = records[0]?.EventSource === 'aws:sns' ? String(records[0].Sns?.TopicArn) : undefined;
    const key = topic ? subscriptions().get(topic) : undefined;
    return key ? { kind: 'function', key } : `Records: no function of the stack is subscribed to ${topic ?? 'this event source'}; pass --function KEY`;
  }
  if (e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') {
    // A schedule's rule is named <service>-<stage>-<FunctionLogicalId>EventsRuleSchedule<n> by the framework.
    const rule = String((e.resources as unknown[] | undefined)?.[0] ?? '').split('/').pop() ?? '';
    const logical = rule.match(/-([A-Z]\w*?)EventsRuleSchedule\d+$/)?.[1];
    const key = logical ? logical[0]?.toLowerCase() + logical.slice(1) : undefined;
    return key && functions.includes(key) ? { kind: 'function', key } : `resources[0]: no function of the stack has the schedule rule ${rule || '(none)'}; pass --function KEY`;
  }
  return { kind: 'execution' };
}

/** The simulated time the event carries (EventBridge's `time`, SNS's `Timestamp`), if any. */
export function timeOf(event: unknown): string | undefined {
  const e = (event && typeof event === 'object' ? event : {}) as { time?: unknown; Records?: { Sns?: { Timestamp?: unknown } }[] };
  const t = typeof e.time === 'string' ? e.time : e.Records?.[0]?.Sns?.Timestamp;
  return typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? new Date(t).toISOString() : undefined;
}

/** Runs the command; returns the exit code. `out` gets stdout's lines, `err` stderr's. */
export async function main(argv: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`), err: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      function: { type: 'string' },
      scenario: { type: 'string', default: 'local/scenarios/events.yml' },
      notifications: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    err('give exactly one event file, e.g. npm run invoke -- events/manual-run.json');
    return 2;
  }
  let event: unknown;
  let scenario;
  try {
    event = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    scenario = loadScenario(values.scenario);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof SyntaxError || (error instanceof Error && 'code' in error))) throw error;
    err(`${error instanceof SyntaxError ? `${file}: not JSON: ` : ''}${error.message}`);
    return 2;
  }
  const target = targetOf(event, Object.keys(functionHandlers()), values.function);
  if (typeof target === 'string') {
    err(`${file}: ${target}`);
    return 2;
  }
  const start = timeOf(event) ?? scenario.start;
  out(`Invoking ${target.kind === 'function' ? `function ${target.key}` : 'the patch-run state machine'} with ${file} on the simulated account of ${values.scenario}, at ${start}`);
  let handlerFailed = false;
  const report = await rehearse(
    { ...scenario, start },
    {
      start: async (runner) => {
        if (target.kind === 'execution') return runner.startRun(executionName('invoke', basename(file, '.json')), event);
        try {
          out(`${target.key} returned: ${JSON.stringify(await runner.invoke(target.key, event))}`);
        } catch (error) {
          // As Lambda reports a handler's error: its type and message (LambdaFunctionError wraps the handler's).
          const cause = (error as { cause?: unknown }).cause ?? error;
          handlerFailed = true;
          out(`${target.key} failed: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`);
        }
      },
    },
  );
  const summary = summarize(report);
  const runs = report.executions.filter((e) => e.stateMachine.endsWith('patch-run'));
  if (runs.length === 0 && target.kind === 'function') out('No run started.');
  for (const run of runs) {
    out(`Run ${run.name}: ${run.status}${run.error ? ` (${run.error.Error}: ${run.error.Cause})` : ''}`);
  }
  for (const v of summary.variants) out(`  ${v.variant}: ${v.status}; patched ${v.patched.length}${v.error ? `\n    ${v.error}` : ''}`);
  out(`Notifications sent: ${report.notifications.length}${report.notifications.map((n) => `\n  ${n.subject ?? ''}`).join('')}`);
  if (values.notifications && report.notifications.length) out(`\nNotifications in full:\n${notificationsText(report)}`);
  if (report.startError) out(`The run could not be started: ${report.startError}`);
  return handlerFailed || report.startError || runs.some((r) => r.status !== 'SUCCEEDED') ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  exitWithUsageIfAsked(process.argv.slice(2), USAGE);
  const code = await main(process.argv.slice(2));
  await exitWhenWritten(code);
}
