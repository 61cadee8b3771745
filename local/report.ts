import { buildPicture, phaseOf, type Bar, type GroupTimeline, type Marker, type PictureInput, type RunPicture, type StateEntry } from '../lib/report/picture.js';
import { refreshBars, type RefreshFacts } from '../lib/report/history.js';
import type { RehearsalReport } from './rehearsal.js';
import { summarize } from './summary.js';

const ms = (iso: string | Date | undefined) => (iso === undefined ? Number.NaN : typeof iso === 'string' ? Date.parse(iso) : iso.getTime());

/**
 * The picture of a rehearsal: variants' phases from the states their executions entered, each node group's instance
 * refreshes, batches (instances launched together), readiness gates and drains (our lifecycle hooks' actions) and
 * rollbacks as the simulated account reports them at the end of the run, notifications and failures as markers.
 */
export async function rehearsalPicture(report: RehearsalReport, opts: { title: string; maxGroupRows?: number }): Promise<RunPicture> {
  const start = ms(report.startedAt);
  const end = Math.max(ms(report.endedAt), ...report.notifications.map((n) => ms(n.t)));
  const summary = summarize(report);
  // Each notification on the row of the execution that sent it; those sent from outside (the stack's alarms) on the run's.
  const senders = new Map(report.timeline.filter((e) => e.kind === 'notification').map((e) => [`${e.t}|${e.text.replace(/^notification: /, '')}`, e.execution]));
  const notifications = report.notifications.map((n) => ({ t: ms(n.t), subject: n.subject ?? '', execution: senders.get(`${new Date(n.t).toISOString()}|${n.subject ?? ''}`) ?? 'run' }));
  // A failed state is marked on an execution that failed; a successful one only caught what it expects (a parameter not there yet).
  const failedExecutions = new Set(report.executions.filter((e) => e.status === 'FAILED').map((e) => e.label));
  const markersOf = (execution: string): Marker[] => [
    ...notifications.filter((n) => n.execution === execution).map((n) => ({ kind: 'notification' as const, t: n.t, label: n.subject })),
    ...report.timeline.filter((e) => e.kind === 'failure' && e.execution === execution && failedExecutions.has(execution) && !e.nodeGroup).map((e) => ({ kind: 'failure' as const, t: ms(e.t), label: e.text })),
  ];
  const variants: PictureInput['variants'] = summary.variants.map((v) => {
    const own = report.timeline.filter((e) => e.execution === v.variant);
    const entries: StateEntry[] = own.filter((e) => e.kind === 'state').map((e) => ({ state: e.text, t: ms(e.t) }));
    const failure = v.status === 'FAILED' ? own.find((e) => e.kind === 'failure' && phaseOf(e.text.replace(/ failed:.*$/s, '')) !== undefined) : undefined;
    return {
      variant: v.variant,
      entries,
      end: Math.max(...own.map((e) => ms(e.t)), entries[0]?.t ?? start),
      ...(failure ? { failedAt: ms(failure.t) } : {}),
      markers: markersOf(v.variant),
    };
  });
  const history = report.account.instanceHistory().filter((i) => ms(i.launchedAt) >= start);
  const actions = report.account.lifecycleActions().filter((a) => ms(a.startedAt) >= start);
  const groups: GroupTimeline[] = [];
  for (const v of summary.variants)
    for (const g of v.nodeGroups) {
      const bars: Bar[] = [];
      const launches = history.filter((i) => i.asgName === g.asgName);
      const refreshEnd = Math.max(...launches.map((i) => Math.max(ms(i.bootedAt), ms(i.terminatedAt ?? i.bootedAt))), start);
      if (g.kind === 'managed') {
        const update = report.timeline.find((e) => e.kind === 'change' && e.nodeGroup === g.name && e.text.includes('EKS update'));
        const failed = report.timeline.some((e) => e.kind === 'failure' && e.nodeGroup === g.name);
        if (update) bars.push({ kind: 'refresh', start: ms(update.t), end: Math.max(refreshEnd, ms(update.t)), label: `managed node group update of ${g.name}`, ...(failed ? { failed } : {}) });
      } else {
        const out = (await report.account.call('AutoScaling', 'DescribeInstanceRefreshes', { AutoScalingGroupName: g.asgName })) as { InstanceRefreshes?: RefreshFacts[] };
        bars.push(...refreshBars(out.InstanceRefreshes ?? [], start, end));
      }
      const batches = new Map<number, typeof launches>();
      for (const i of launches) batches.set(ms(i.launchedAt), [...(batches.get(ms(i.launchedAt)) ?? []), i]);
      [...batches.entries()]
        .sort(([a], [b]) => a - b)
        .forEach(([t, is], k) => bars.push({ kind: 'batch', start: t, end: Math.max(...is.map((i) => ms(i.bootedAt))), label: `batch ${k + 1}: ${is.length} instance(s) ${is.map((i) => i.instanceId).join(', ')}` }));
      for (const a of actions.filter((x) => x.asgName === g.asgName)) {
        const gate = a.transition.includes('LAUNCHING');
        const refused = a.result === 'ABANDON' || (gate && a.by === 'timeout');
        bars.push({
          kind: gate ? 'gate' : 'drain',
          start: ms(a.startedAt),
          end: a.completedAt ? ms(a.completedAt) : end,
          label: `${gate ? 'readiness gate' : 'drain'} of ${a.instanceId}: ${a.result ?? 'no answer'} (${a.by})`,
          ...(gate && refused ? { failed: true } : {}),
        });
      }
      const markers: Marker[] = [
        ...report.timeline.filter((e) => e.kind === 'failure' && e.nodeGroup === g.name).map((e) => ({ kind: 'failure' as const, t: ms(e.t), label: e.text })),
        ...markersOf(`hook:${g.asgName}`),
      ];
      groups.push({ variant: v.variant, name: g.name, bars, markers });
    }
  return buildPicture({
    title: opts.title,
    subtitle: `Rehearsal ${summary.status}, ${summary.nodeGroupsPatched} node group(s) patched, ${summary.notifications.length} notification(s), simulated clock`,
    start,
    end,
    run: { bars: [], markers: markersOf('run') },
    variants,
    groups,
    ...(opts.maxGroupRows !== undefined ? { maxGroupRows: opts.maxGroupRows } : {}),
  });
}
