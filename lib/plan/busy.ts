import { DescribeExecutionCommand, ListExecutionsCommand, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { withRetries } from '../aws/retry.js';
import { sfn } from '../aws/sfn.js';
import { mapLimit } from '../util.js';

/**
 * One run per variant at a time. Two runs refreshing the same ASG would collide
 * (InstanceRefreshInProgressFault at best, a second AMI rolled over the first at
 * worst), and an execution name only de-duplicates identical starts. So the plan asks
 * Step Functions which runs are active and what they cover.
 */
export interface ActiveRun {
  executionName: string;
  startDate: string;
  /** The variants its input names; 'all' when it names none. */
  variants: string[] | 'all';
  dryRun: boolean;
}

export interface BlockingRun {
  executionName: string;
  variants: string[];
}

/** Re-plan this often while another run holds a variant; give up (end cleanly) after three days: a run of a thousand node groups can take thirty hours. */
export const BUSY_WAIT_SECONDS = 600;
export const BUSY_GIVE_UP_SECONDS = 72 * 3600;

/** Every RUNNING execution of the run state machine except this one, with the variants its input covers. */
export async function activeRuns(stateMachineArn: string, selfArn: string): Promise<ActiveRun[]> {
  const running: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const out = await withRetries(() => sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken })));
    running.push(...(out.executions ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  const others = running.filter((e) => e.executionArn !== selfArn);
  return mapLimit(others, 4, async (e) => {
    const out = await withRetries(() => sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn })));
    return { executionName: e.name ?? '', startDate: (e.startDate ?? new Date(0)).toISOString(), ...coverage(out.input) };
  });
}

/** What a run's raw input covers. Unparseable input counts as all variants: waiting too long is safer than refreshing twice. */
export function coverage(rawInput: string | undefined): { variants: string[] | 'all'; dryRun: boolean } {
  try {
    const input = JSON.parse(rawInput ?? '{}') as { variants?: unknown; dryRun?: unknown };
    const variants = Array.isArray(input.variants) && input.variants.length ? input.variants.map(String) : 'all';
    return { variants, dryRun: input.dryRun === true };
  } catch {
    return { variants: 'all', dryRun: false };
  }
}

/**
 * The runs this one must yield to: real (not dry-run) runs that started earlier and
 * share a variant. Ordering by (start time, name) is total, so two runs started in
 * the same second never wait for each other: the older one goes on.
 */
export function blockingRuns(me: { executionName: string; startTime: string; variants: string[] }, others: ActiveRun[]): BlockingRun[] {
  const myStart = Date.parse(me.startTime);
  return others.flatMap((o) => {
    const theirStart = Date.parse(o.startDate);
    const earlier = theirStart < myStart || (theirStart === myStart && o.executionName < me.executionName);
    if (o.dryRun || !earlier) return [];
    const shared = o.variants === 'all' ? me.variants : me.variants.filter((v) => o.variants.includes(v));
    return shared.length ? [{ executionName: o.executionName, variants: shared }] : [];
  });
}
