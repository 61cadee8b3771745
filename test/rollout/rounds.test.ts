import { beforeAll, describe, expect, it } from 'vitest';
import { firstUntouchedWave, mergeRoundFailure, roundFailure, wavesSettledBefore } from '../../lib/notify/cause.js';
import type { VariantPlan } from '../../lib/plan/types.js';
import { storedVariant } from '../../local/stored.js';
import { generateScenario, rehearse, type RehearsalReport } from '../support/rehearse.js';

/**
 * One variant whose progressive waves outgrow one state: 400 groups of 80-character names, where a wave holds about
 * 200 (lib/store/wave-budget.ts). The wave of 256 groups is cut into parts that make one round and run side by side,
 * and the last one into as many, so that each part hands over to one of the next round.
 */
const ONE = [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }] as const;
const LIMIT = 256 * 1024;
const scenario = () => generateScenario({ nodeGroups: 400, nameLength: 80, variants: [...ONE], config: { rollout: {} } });

function planOf(report: RehearsalReport): VariantPlan {
  const child = report.account.executions.find((e) => e.stateMachineArn.endsWith('patch-variant'));
  const plan = storedVariant(report.account, (JSON.parse(child?.input ?? '{}') as { variant: Parameters<typeof storedVariant>[1] }).variant);
  if (!plan?.rounds) throw new Error('no rounds in the stored plan');
  return plan;
}
const firstStart = (report: RehearsalReport, names: readonly string[]) =>
  Math.min(...report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && !c.error && names.includes(String((c.input as { AutoScalingGroupName: string }).AutoScalingGroupName))).map((c) => Date.parse(c.t)));

describe('a wave cut to fit a state (one round of parts)', () => {
  let passed: RehearsalReport;
  let plan: VariantPlan;
  let round: number[];
  beforeAll(async () => {
    passed = await rehearse(scenario());
    plan = planOf(passed);
    round = plan.rounds?.find((r) => r.length > 1) ?? [];
  }, 120_000);

  it('runs its parts side by side, each in a state under 256 KB, and patches every group', () => {
    expect(passed.status).toBe('SUCCEEDED');
    expect(round.length).toBeGreaterThan(1);
    expect(plan.rounds?.flat()).toEqual(plan.waves.map((_, i) => i));
    // Every part starts its refreshes within minutes of the first: they do not wait for each other.
    const starts = round.map((i) => firstStart(passed, (plan.waves[i] ?? []).map((g) => g.asgName)));
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(15 * 60_000);
    const amiId = (passed.run.output as { output: { amiId: string } }[])[0]?.output.amiId;
    for (const g of plan.waves.flat()) expect(passed.account.instances(g.asgName).every((i) => i.imageId === amiId), g.asgName).toBe(true);
    for (const e of passed.executions) expect(e.maxStateBytes, e.label).toBeLessThan(LIMIT);
  });

  it('hands each part over to a part of the next round at its first batch: the next round starts while the slower groups still refresh', () => {
    const next = plan.rounds?.[(plan.rounds?.indexOf(round) ?? 0) + 1] ?? [];
    expect(next.length).toBeGreaterThanOrEqual(round.length);
    expect(plan.handOver).toEqual(expect.arrayContaining(round));
    round.forEach((w, j) => expect(plan.carryTo?.[w]).toBe(next[j]));
    for (const w of round) expect(passed.notifications.some((n) => n.subject?.startsWith(`Wave ${w + 1}/${plan.waves.length} passed its gate`) && /\d+ still refreshing$/.test(n.subject)), `wave ${w + 1}`).toBe(true);
  });

  it('fails the round only once every part settled, watching the parts that pass and the groups they handed over to the end, and reports each where it stands', async () => {
    const [failing, beside] = [plan.waves[round[0] as number] ?? [], plan.waves[round[1] as number] ?? []];
    const failedGroup = failing[0]?.asgName as string;
    const s = scenario();
    s.faults = [{ kind: 'refreshFailure', asgName: failedGroup, atPercent: 50, reason: 'Instances failed to pass ELB health checks' }];

    const report = await rehearse(s);

    expect(report.status).toBe('FAILED');
    expect(planOf(report).rounds).toEqual(plan.rounds);
    // The part beside the failed one passed its gate and handed its slower groups to the next round, which never ran:
    // they were watched until they finished, every group of it on the new AMI.
    const amiId = report.account.asg(beside[0]?.asgName as string).imageId;
    expect(amiId).not.toBe(report.account.asg(failedGroup).imageId);
    for (const g of beside) expect(report.account.instances(g.asgName).every((i) => i.imageId === amiId), g.asgName).toBe(true);
    expect(report.notifications.some((n) => n.subject?.startsWith(`Wave ${(round[1] as number) + 1}/${plan.waves.length} passed its gate`))).toBe(true);
    // Nothing after the round started.
    const later = plan.waves.slice((round.at(-1) as number) + 1).flat().map((g) => g.asgName);
    expect(later.length).toBeGreaterThan(0);
    expect(report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && later.includes(String((c.input as { AutoScalingGroupName: string }).AutoScalingGroupName)))).toEqual([]);

    const notice = report.notifications.find((n) => n.subject?.startsWith('FAILED rollout for win2022-core-131'));
    expect(notice?.subject).toBe(`FAILED rollout for win2022-core-131: 1 group(s) rolled back, ${later.length} untouched`);
    expect(notice?.message).toContain(`${failedGroup}: rolled back to launch template version 1 - Instances failed to pass ELB health checks`);
    expect(notice?.message).toContain(`${beside[0]?.asgName}: on the new AMI ${amiId}`);
    expect(notice?.message).toContain(`never touched (${later.length}): ${later[0]}`);
    for (const e of report.executions) expect(e.maxStateBytes, e.label).toBeLessThan(LIMIT);
  }, 120_000);
});

describe('a wave of a round that went wrong', () => {
  // Shares of a limit on instances out of service: the waves of the last round start their groups as room frees.
  const limited = () => generateScenario({ nodeGroups: 600, nameLength: 80, variants: [...ONE], config: { rollout: { maxInstancesOutOfService: 300 } } });
  const started = (report: RehearsalReport) => report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && !c.error).map((c) => ({ t: Date.parse(c.t), asgName: String((c.input as { AutoScalingGroupName: string }).AutoScalingGroupName) }));

  it('stops the waves beside it: once it said so (stop.json), none of them starts a group, and the e-mail counts every group never started as untouched', async () => {
    const plan = planOf(await rehearse(limited()));
    const round = [...(plan.rounds ?? [])].reverse().find((r) => r.length > 1 && r.every((w) => plan.limits?.[w])) ?? [];
    expect(round.length).toBeGreaterThan(1);
    const failing = plan.waves[round[0] as number]?.[0]?.asgName as string;
    const s = limited();
    s.faults = [{ kind: 'refreshFailure', asgName: failing, atPercent: 50, reason: 'Instances failed to pass ELB health checks' }];

    const report = await rehearse(s);

    expect(report.status).toBe('FAILED');
    const stops = report.calls.filter((c) => c.fn === 'states' && c.operation === 'PutObject' && String((c.input as { Key: string }).Key).endsWith('/stop.json'));
    expect(stops.length).toBeGreaterThan(0);
    expect(JSON.parse((stops[0]?.input as { Body: string }).Body)).toEqual({ wentWrong: `wave ${(round[0] as number) + 1}: ${failing} is RollbackInProgress` });
    const stoppedAt = Date.parse(stops[0]?.t as string);
    const roundGroups = round.flatMap((w) => (plan.waves[w] ?? []).map((g) => g.asgName));
    const besideGroups = new Set(round.slice(1).flatMap((w) => (plan.waves[w] ?? []).map((g) => g.asgName)));
    const starts = started(report).filter((x) => roundGroups.includes(x.asgName));
    expect(starts.filter((x) => besideGroups.has(x.asgName) && x.t > stoppedAt)).toEqual([]);
    // The stop mattered: the waves beside it still had groups to start when it came.
    const neverStarted = roundGroups.filter((n) => !starts.some((x) => x.asgName === n));
    expect(neverStarted.filter((n) => besideGroups.has(n)).length).toBeGreaterThan(0);
    for (const n of neverStarted) expect(report.account.asg(n).imageId, n).toBe(report.account.asg(failing).imageId);

    const notice = report.notifications.find((n) => n.subject?.startsWith('FAILED rollout for win2022-core-131'));
    expect(notice?.subject).toBe(`FAILED rollout for win2022-core-131: 1 group(s) rolled back, ${neverStarted.length} untouched`);
    expect(notice?.message).toContain('Cause: an instance refresh failed or rolled back (RolloutWaveFailed)');
    expect(notice?.message).toContain(`${neverStarted.find((n) => besideGroups.has(n))}: not started - the wave starts nothing more: a wave beside it in its round went wrong (wave ${(round[0] as number) + 1}: `);
    for (const e of report.executions) expect(e.maxStateBytes, e.label).toBeLessThan(LIMIT);
  }, 120_000);
});

describe('the report of a failed round', () => {
  const report = (waveIndex: number, asgName: string, cause?: string) => ({ waveIndex, groups: [{ asgName, state: 'rolledBack' as const, fromVersion: '1', toVersion: '2', status: 'RollbackSuccessful', reason: null }], ...(cause && { cause }) });

  it('merges its failed waves: their groups, the first one index and cause, and the round last wave', () => {
    const merged = mergeRoundFailure({ failedRound: [4, 5, 6], outcomes: ['failed', 'passed', 'failed'] }, [report(4, 'a'), report(6, 'c', 'the wave passed its deadline')]);
    expect(merged).toEqual({ waveIndex: 4, groups: [report(4, 'a').groups[0], report(6, 'c').groups[0]], cause: 'the wave passed its deadline', throughWave: 6 });
    expect(merged && wavesSettledBefore(merged)).toBe(7);
    expect(merged && firstUntouchedWave(merged)).toBe(7);
  });

  it('takes its cause from a wave that went wrong on its own, never from one stopped by the wave beside it', () => {
    const stopped = report(5, 'b', 'queued groups not started: the wave starts nothing more: a wave beside it in its round went wrong (wave 5: a rolled back)');
    expect(mergeRoundFailure({ failedRound: [4, 5], outcomes: ['failed', 'failed'] }, [report(4, 'a'), stopped])?.cause).toBeUndefined();
    expect(mergeRoundFailure({ failedRound: [4, 5], outcomes: ['failed', 'failed'] }, [stopped, report(5, 'c', 'the wave passed its deadline')])?.cause).toBe('the wave passed its deadline');
  });

  it('keeps a round of one wave as that wave report, and gives none when any failed wave left no report', () => {
    expect(mergeRoundFailure({ failedRound: [3], outcomes: ['failed'] }, [report(3, 'a')])).toEqual(report(3, 'a'));
    expect(mergeRoundFailure({ failedRound: [3, 4], outcomes: ['failed', 'failed'] }, [report(3, 'a'), undefined])).toBeUndefined();
    expect(roundFailure({ Error: 'RolloutWaveFailed', Cause: '{"failedRound":[3,4],"outcomes":["failed"]}' })).toBeUndefined();
    expect(roundFailure({ Error: 'RolloutWaveFailed', Cause: '{"failedRound":[3,4],"outcomes":["failed","passed"]}' })).toEqual({ failedRound: [3, 4], outcomes: ['failed', 'passed'] });
  });
});
