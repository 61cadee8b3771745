import { AutoScalingClient, DescribeInstanceRefreshesCommand } from '@aws-sdk/client-auto-scaling';
import { ListExecutionsCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { historyPicture, plannedGroups, type ExecutionHistory, type RefreshFacts } from '../lib/report/history.js';
import { renderPicture } from '../lib/report/html.js';
import { stateMachineArn, type Print } from './cli.js';
import { exitWithUsageIfAsked } from './usage.js';
import { executionHistory } from './history.js';

/**
 * npm run report -- [--execution NAME|ARN] [--out FILE.html] [--stage dev] [--region R] [--state-machine-arn ARN]
 * The picture of a deployed run (README "A picture of the run") from its execution history and its variants'
 * (GetExecutionHistory), with each planned node group's instance refreshes (DescribeInstanceRefreshes).
 * Operator IAM: states:ListStateMachines (only without --state-machine-arn or an execution ARN), ListExecutions (only
 * without --execution), GetExecutionHistory; autoscaling:DescribeInstanceRefreshes. Nothing in the stack.
 */
export const USAGE = `Usage: npm run report -- [--execution NAME|ARN] [--out FILE.html] [--stage dev] [--region R] [--state-machine-arn ARN]
Writes the picture of a deployed run (default: the latest of the stage's patch-run state machine) as one
self-contained HTML page (default run-report.html), from the executions' histories and the node groups' instance
refreshes. Operator IAM: states:ListStateMachines, ListExecutions, GetExecutionHistory; autoscaling:DescribeInstanceRefreshes.`;

/** The child executions a run started (startExecution.sync tasks: the ARN is in the submitted or succeeded output). */
function childrenOf(events: HistoryEvent[]): string[] {
  const arns = new Set<string>();
  for (const e of events)
    for (const text of [e.taskSubmittedEventDetails?.output, e.taskSucceededEventDetails?.output, e.taskFailedEventDetails?.cause]) {
      try {
        const arn = (JSON.parse(text ?? '') as { ExecutionArn?: unknown }).ExecutionArn;
        if (typeof arn === 'string') arns.add(arn);
      } catch {
        // not a child's output
      }
    }
  return [...arns];
}

async function refreshesOf(client: AutoScalingClient, asgName: string): Promise<RefreshFacts[]> {
  const out: RefreshFacts[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: asgName, NextToken }));
    out.push(...(page.InstanceRefreshes ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Reads a run's histories and its groups' refreshes and returns the page. */
export async function deployedReport(sfn: SFNClient, autoScaling: AutoScalingClient, executionArn: string): Promise<string> {
  const run: ExecutionHistory = { executionArn, events: await executionHistory(sfn, executionArn) };
  const histories = [run];
  for (const child of childrenOf(run.events)) histories.push({ executionArn: child, events: await executionHistory(sfn, child) });
  const refreshes = new Map<string, RefreshFacts[]>();
  for (const g of plannedGroups(histories)) if (!g.managed && !refreshes.has(g.asgName)) refreshes.set(g.asgName, await refreshesOf(autoScaling, g.asgName));
  return renderPicture(historyPicture(histories, refreshes, { title: `Patch run ${executionArn.split(':').pop() ?? executionArn}` }));
}

export async function main(argv: string[], print: Print = (l) => process.stdout.write(`${l}\n`), clients?: { sfn: SFNClient; autoScaling: AutoScalingClient }): Promise<number> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      execution: { type: 'string' },
      out: { type: 'string', default: 'run-report.html' },
      stage: { type: 'string', default: process.env.STAGE ?? 'dev' },
      region: { type: 'string' },
      'state-machine-arn': { type: 'string' },
    },
  });
  const config = o.region ? { region: o.region } : {};
  const sfn = clients?.sfn ?? new SFNClient(config);
  const autoScaling = clients?.autoScaling ?? new AutoScalingClient(config);
  let executionArn = o.execution?.startsWith('arn:') ? o.execution : undefined;
  if (!executionArn) {
    const machine = await stateMachineArn(sfn, o);
    if (o.execution) executionArn = `${machine.replace(':stateMachine:', ':execution:')}:${o.execution}`;
    else {
      const latest = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1 }));
      executionArn = latest.executions?.[0]?.executionArn;
      if (!executionArn) {
        print(`no executions yet of ${machine}: start one with npm run patch`);
        return 1;
      }
    }
  }
  writeFileSync(o.out, await deployedReport(sfn, autoScaling, executionArn));
  print(`Picture of ${executionArn.split(':').pop()} written to ${o.out}`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  exitWithUsageIfAsked(process.argv.slice(2), USAGE);
  process.exitCode = await main(process.argv.slice(2));
}
