import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/errors.js';
import { exitWithUsageIfAsked } from '../scripts/usage.js';
import { rehearse, type RehearsalReport, type TimelineEntry } from './rehearsal.js';
import { renderPicture } from '../lib/report/html.js';
import { rehearsalPicture } from './report.js';
import { loadScenario } from './scenario.js';
import { exitWhenWritten } from './exit.js';
import { loadConfigScenario } from './from-config.js';
import { notificationsText, summarize, type RehearsalSummary } from './summary.js';
import { formatCost } from '../lib/cost/model.js';

/**
 * npm start [-- --scenario FILE] [--json] [--trace FILE] [--logs] [--report FILE.html]
 * Rehearses a full patch cycle offline: the real state machine and Lambda code
 * against a simulated AWS account on a simulated clock. --trace writes every AWS call
 * and every Lambda log line (retries included) as JSON lines; --logs prints the
 * Lambdas' warnings and errors (retries, giving up) in the timeline.
 */
exitWithUsageIfAsked(
  process.argv.slice(2),
  `Usage: npm start -- [--scenario FILE | --config [FILE]] [--json] [--trace FILE] [--logs] [--notifications] [--report FILE.html]
Rehearses a full patch cycle offline: the real state machines and Lambda code against a simulated AWS account and
cluster, on a simulated clock. Exit 0 when the run succeeded, 1 when it failed, 2 for a bad scenario.
  --scenario FILE  the scenario to rehearse (default local/scenarios/sample.yml; see README "Scenario file format")
  --config [FILE]  rehearse this pipeline config (default pipeline.config.yml) on a generated fleet that matches it
  --json           print the summary as JSON (key kubernetes: per node group workload figures; key cost: the modelled cost)
  --trace FILE     write every AWS and Kubernetes call and every Lambda log line as JSON lines
  --logs           print the Lambdas' warnings and errors in the timeline
  --notifications  print each notification in full (subject and text), as an admin receives it by e-mail
  --report FILE    write a picture of the run (one self-contained HTML page; README "A picture of the run")`,
);

// `--config` with no file rehearses the operator's own pipeline.config.yml.
const argv = process.argv.slice(2);
const bare = argv.indexOf('--config');
if (bare !== -1 && (bare === argv.length - 1 || argv[bare + 1]?.startsWith('--'))) argv.splice(bare + 1, 0, 'pipeline.config.yml');

const { values } = parseArgs({
  args: argv,
  options: {
    scenario: { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean', default: false },
    trace: { type: 'string' },
    logs: { type: 'boolean', default: false },
    notifications: { type: 'boolean', default: false },
    report: { type: 'string' },
  },
});

let scenario;
if (values.scenario !== undefined && values.config !== undefined) {
  process.stderr.write('give --scenario FILE or --config FILE, not both\n');
  process.exit(2);
}
const rehearsed = values.config ?? values.scenario ?? 'local/scenarios/sample.yml';
try {
  scenario = values.config !== undefined ? loadConfigScenario(values.config) : loadScenario(rehearsed);
} catch (error) {
  if (!(error instanceof ConfigError) && !(error instanceof Error && 'code' in error)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

const trace = values.trace ? openSync(values.trace, 'w') : undefined;
const startMs = Date.parse(scenario.start);
const clockOf = (iso: string) => {
  const s = Math.round((Date.parse(iso) - startMs) / 1000);
  return `+${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const print = (e: TimelineEntry) => {
  if (e.kind !== 'state') process.stdout.write(`${clockOf(e.t)}  ${e.execution.padEnd(17)} ${e.nodeGroup.padEnd(20)} ${e.text}\n`);
};

if (!values.json)
  process.stdout.write(
    `Rehearsing ${rehearsed}${scenario.description ? `: ${scenario.description.trim()}` : ''}\nSimulated start ${scenario.start}\n\n${'time'.padEnd(9)}  ${'execution'.padEnd(17)} ${'node group'.padEnd(20)} what changed\n`,
  );
const report: RehearsalReport = await rehearse(scenario, {
  onTimeline: values.json ? undefined : print,
  onCall: trace === undefined ? undefined : (rec) => writeSync(trace, `${JSON.stringify(rec)}\n`),
  onLog: (line) => {
    if (trace !== undefined) writeSync(trace, `${JSON.stringify({ log: line })}\n`);
    if (values.logs && !values.json && line.level !== 'INFO' && line.level !== 'DEBUG') process.stdout.write(`${clockOf(line.t)}  ${line.fn.padEnd(17)} ${''.padEnd(20)} ${line.level}: ${line.message}\n`);
  },
});
if (trace !== undefined) closeSync(trace);

const summary = summarize(report);
if (values.report) {
  const title = `Patch run rehearsal: ${rehearsed}`;
  writeFileSync(values.report, renderPicture(await rehearsalPicture(report, { title })));
  if (!values.json) process.stdout.write(`Picture of the run written to ${values.report}\n`);
}

function workloadLine(k: RehearsalSummary['kubernetes'][number]): string {
  const deleted = k.podsDeletedWithoutEviction ? ` (${k.podsDeletedWithoutEvictionNames.join(', ')})` : '';
  return `  ${k.asgName}: ${k.nodesReady} node(s) Ready, ${k.nodesRefused} refused; ${k.podsEvicted} pod(s) evicted, ${k.podsDeletedWithoutEviction} deleted without eviction${deleted}; ${k.pdbViolations} PDB violation(s); longest drain ${k.longestDrainSeconds} s`;
}
if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
else {
  process.stdout.write(`\n${'-'.repeat(72)}\nResult: ${summary.status}${summary.error ? ` (${summary.error})` : ''}\n`);
  for (const v of summary.variants) {
    const label = (asg: string) => {
      const g = v.nodeGroups.find((n) => n.asgName === asg);
      return g?.kind === 'managed' ? `${g.name} (managed)` : asg;
    };
    process.stdout.write(`  ${v.variant}: ${v.status}${v.amiId ? `, AMI ${v.amiId} from ${v.sourceAmi}` : ''}; patched ${v.patched.length}: ${v.patched.map(label).join(', ') || '-'}\n`);
    if (v.error) process.stdout.write(`    ${v.error.trimEnd().split('\n').join('\n    ')}\n`);
    for (const line of v.retention) process.stdout.write(`    ${line}\n`);
  }
  if (summary.kubernetes.length) process.stdout.write(`Workloads (${[...new Set(summary.kubernetes.map((k) => k.cluster))].join(', ')}):\n${summary.kubernetes.map(workloadLine).join('\n')}\n`);
  process.stdout.write(
    `Node groups patched: ${summary.nodeGroupsPatched}\nInstances replaced: ${summary.instancesReplaced}\nAWS calls retried: ${summary.retries}\nNotifications sent: ${summary.notifications.length}\n${summary.notifications.map((n) => `  [${n.severity}] ${n.subject}`).join('\n')}\nSimulated duration: ${summary.simulatedDuration}\nState transitions: ${summary.stateTransitions} (largest execution ${summary.largestExecutionTransitions}); Lambda invocations: ${summary.lambdaInvocations}; AWS calls: ${summary.awsCalls}\n`,
  );
  process.stdout.write(`Modelled cost of the run (README "What a run costs"):\n${formatCost(summary.cost).join('\n')}\n`);
}
if (values.notifications && !values.json) process.stdout.write(`\nNotifications in full:\n${notificationsText(report)}`);
await exitWhenWritten(report.status === 'SUCCEEDED' ? 0 : 1);
