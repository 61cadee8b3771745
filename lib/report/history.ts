import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { buildPicture, phaseOf, type Bar, type GroupTimeline, type Marker, type PictureInput, type RunPicture, type StateEntry } from './picture.js';

/** One execution's history (GetExecutionHistory, includeExecutionData) under the label its row gets. */
export interface ExecutionHistory {
  executionArn: string;
  events: HistoryEvent[];
}

/** What DescribeInstanceRefreshes tells about one refresh (API Reference, "InstanceRefresh"). */
export interface RefreshFacts {
  Status?: string;
  StatusReason?: string;
  StartTime?: Date;
  EndTime?: Date;
  RollbackDetails?: { RollbackStartTime?: Date; RollbackReason?: string };
}

const time = (d: Date | undefined) => (d instanceof Date ? d.getTime() : Number.NaN);

function parse(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** A node group's refreshes that started in [start, end] as bars; one still running ends at `end`; a rollback is its own bar. */
export function refreshBars(refreshes: RefreshFacts[], start: number, end: number): Bar[] {
  const bars: Bar[] = [];
  for (const r of refreshes) {
    const s = time(r.StartTime);
    if (!(s >= start && s <= end)) continue;
    const e = Number.isNaN(time(r.EndTime)) ? end : time(r.EndTime);
    const failed = r.Status !== 'Successful' && r.Status !== 'InProgress' && r.Status !== 'Pending';
    bars.push({ kind: 'refresh', start: s, end: e, label: `instance refresh: ${r.Status ?? '?'}${r.StatusReason ? ` (${r.StatusReason})` : ''}`, ...(failed ? { failed } : {}) });
    const rb = r.RollbackDetails;
    if (rb?.RollbackStartTime) bars.push({ kind: 'rollback', start: time(rb.RollbackStartTime), end: e, label: `rollback${rb.RollbackReason ? `: ${rb.RollbackReason}` : ''}` });
  }
  return bars;
}

/** The node groups a variant's child execution was started with (its plan's waves), by name. */
export interface PlannedGroupRef {
  variant: string;
  asgName: string;
  /** cluster/nodegroup for an EKS managed node group. */
  managed?: string;
}

interface Parsed {
  label: string;
  variant?: string;
  entries: StateEntry[];
  start: number;
  end: number;
  failed: boolean;
  ended: boolean;
  failedAt?: number;
  markers: Marker[];
  groups: PlannedGroupRef[];
}

/** Reads one execution's history: states entered, notifications published (sns:publish tasks), failures. */
function read(h: ExecutionHistory): Parsed {
  const events = [...h.events].sort((a, b) => time(a.timestamp) - time(b.timestamp));
  const entries: StateEntry[] = [];
  const markers: Marker[] = [];
  const groups: PlannedGroupRef[] = [];
  let label = h.executionArn.split(':').pop() ?? h.executionArn;
  let variant: string | undefined;
  let failed = false;
  let ended = false;
  let failedAt: number | undefined;
  let last = '';
  for (const e of events) {
    const t = time(e.timestamp);
    if (e.type === 'ExecutionStarted') {
      const input = parse(e.executionStartedEventDetails?.input) as { variant?: { id?: unknown; waves?: unknown } } | undefined;
      if (typeof input?.variant?.id === 'string') {
        variant = input.variant.id;
        label = variant;
        const waves = Array.isArray(input.variant.waves) ? (input.variant.waves as unknown[]) : [];
        for (const g of waves.flat() as { asgName?: unknown; managed?: { cluster?: unknown; nodegroup?: unknown } }[])
          if (typeof g?.asgName === 'string') groups.push({ variant, asgName: g.asgName, ...(g.managed ? { managed: `${String(g.managed.cluster)}/${String(g.managed.nodegroup)}` } : {}) });
      } else label = 'run';
    }
    const entered = e.stateEnteredEventDetails?.name;
    if (entered) {
      last = entered;
      entries.push({ state: entered, t });
    }
    const scheduled = e.taskScheduledEventDetails;
    if (scheduled?.resourceType === 'sns' && scheduled.resource === 'publish') {
      const subject = (parse(scheduled.parameters) as { Subject?: unknown } | undefined)?.Subject;
      markers.push({ kind: 'notification', t, label: typeof subject === 'string' ? subject : `notification from ${last}` });
    }
    if (e.type === 'ExecutionSucceeded') ended = true;
    if (e.type === 'ExecutionFailed' || e.type === 'ExecutionTimedOut' || e.type === 'ExecutionAborted') {
      ended = true;
      failed = true;
      const d = e.executionFailedEventDetails;
      markers.push({ kind: 'failure', t, label: `${e.type}${d?.error ? `: ${d.error}` : ''}${d?.cause ? ` — ${d.cause}` : ''}` });
    }
    if (failedAt === undefined && /Failed$/.test(e.type ?? '') && e.type !== 'ExecutionFailed') {
      const kind = phaseOf(last);
      if (kind !== undefined && kind !== 'recover') failedAt = t;
    }
  }
  const start = time(events[0]?.timestamp);
  const end = time(events[events.length - 1]?.timestamp);
  return { label, ...(variant ? { variant } : {}), entries, start, end, failed, ended, ...(failedAt !== undefined ? { failedAt } : {}), markers, groups };
}

/** The node groups a run's variant executions were planned with. */
export function plannedGroups(histories: ExecutionHistory[]): PlannedGroupRef[] {
  return histories.flatMap((h) => read(h).groups);
}

/**
 * The picture of a deployed run from its executions' histories (the parent's and each variant's), with each node
 * group's refreshes as Auto Scaling reports them (`refreshes`, by ASG name; managed node groups have none).
 */
export function historyPicture(histories: ExecutionHistory[], refreshes: Map<string, RefreshFacts[]>, opts: { title: string; maxGroupRows?: number }): RunPicture {
  const parsed = histories.map(read);
  const run = parsed.find((p) => p.variant === undefined);
  const start = Math.min(...parsed.map((p) => p.start));
  const end = Math.max(...parsed.map((p) => p.end));
  const variants: PictureInput['variants'] = parsed
    .filter((p) => p.variant !== undefined)
    .map((p) => ({ variant: p.label, entries: p.entries, end: p.end, ...(p.failed && p.failedAt !== undefined ? { failedAt: p.failedAt } : {}), markers: p.markers }));
  const groups: GroupTimeline[] = parsed.flatMap((p) =>
    p.groups.map((g) => ({ variant: g.variant, name: g.managed ?? g.asgName, bars: g.managed ? [] : refreshBars(refreshes.get(g.asgName) ?? [], start, end), markers: [] })),
  );
  const failed = parsed.some((p) => p.failed);
  return buildPicture({
    title: opts.title,
    subtitle: `Deployed run ${run?.failed ? 'FAILED' : run?.ended ? 'SUCCEEDED' : 'RUNNING'}${failed && !run?.failed ? ' (a variant failed)' : ''}, ${variants.length} variant(s), ${groups.length} node group(s), from its execution history`,
    start,
    end,
    run: { bars: [], markers: run?.markers ?? [] },
    variants,
    groups,
    ...(opts.maxGroupRows !== undefined ? { maxGroupRows: opts.maxGroupRows } : {}),
  });
}
