import type { RehearsalReport } from './rehearse.js';

export interface RefreshTimes {
  start: number;
  end: number;
  status: string;
}

/** Each named group's latest instance refresh, from the simulated account: start and end (ms; Infinity while running) and status. */
export async function latestRefreshes(report: RehearsalReport, asgNames: readonly string[]): Promise<Map<string, RefreshTimes>> {
  const out = new Map<string, RefreshTimes>();
  for (const name of asgNames) {
    const r = (await report.account.call('AutoScaling', 'DescribeInstanceRefreshes', { AutoScalingGroupName: name })) as {
      InstanceRefreshes?: { Status?: string; StartTime?: Date; EndTime?: Date }[];
    };
    const first = r.InstanceRefreshes?.at(-1);
    if (first?.StartTime) out.set(name, { start: first.StartTime.getTime(), end: first.EndTime?.getTime() ?? Infinity, status: first.Status ?? '' });
  }
  return out;
}
