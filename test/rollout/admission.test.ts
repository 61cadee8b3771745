import { describe, expect, it } from 'vitest';
import { DEFAULT_VARIANTS } from '../../local/generate.js';
import { storedVariant } from '../../local/stored.js';
import { admissible, admissionRounds } from '../../lib/rollout/admission.js';
import { passedProof } from '../../lib/rollout/hand-over.js';
import { waveStatus, type GroupProgress } from '../../lib/rollout/refresh.js';
import { latestRefreshes, type RefreshTimes } from '../support/refreshes.js';
import { generateScenario, rehearse, type FleetSpec, type RehearsalReport } from '../support/rehearse.js';

const group = (asgName: string, state: GroupProgress['state'], inFlight = 4, extra = inFlight, over: Partial<GroupProgress> = {}): GroupProgress => ({
  asgName,
  launchTemplateId: 'lt-1',
  fromVersion: '1',
  toVersion: '2',
  load: { inFlight, extra },
  state,
  refreshId: state === 'queued' ? null : 'r',
  status: state === 'refreshing' ? 'InProgress' : null,
  percent: 0,
  reason: null,
  busyAttempts: 0,
  ...over,
});
const limit = { groups: 3, inFlight: 100, extra: 10 };

describe('admission into a wave handed over to by proof', () => {
  it('starts queued groups in plan order while the wave stays within its limit, the carried groups counted', () => {
    const carried = group('c', 'refreshing', 4, 4, { carried: true });
    expect([...admissible([carried, group('a', 'queued'), group('b', 'queued'), group('d', 'queued')], limit)]).toEqual(['a']);
    // A finished group frees its room; the groups cap holds too (3: e waits though it would fit the instances).
    expect([...admissible([{ ...carried, state: 'patched' }, group('a', 'refreshing'), group('b', 'queued'), group('d', 'queued', 1, 1), group('e', 'queued', 1, 1)], limit)]).toEqual(['b', 'd']);
    expect([...admissible([group('a', 'queued', 1, 1), group('b', 'queued', 1, 1), group('d', 'queued', 1, 1), group('e', 'queued', 1, 1)], limit)]).toEqual(['a', 'b', 'd']);
  });

  it('keeps the line: a smaller group behind one that does not fit waits too', () => {
    expect([...admissible([group('a', 'refreshing', 6, 6), group('b', 'queued', 6, 6), group('d', 'queued', 1, 1)], limit)]).toEqual([]);
  });

  it('starts a group over the limit on its own once nothing else is in flight, never beside another', () => {
    expect([...admissible([group('a', 'patched'), group('b', 'queued', 30, 30), group('d', 'queued', 1, 1)], limit)]).toEqual(['b']);
    expect([...admissible([group('a', 'busy', 1, 1), group('b', 'queued', 30, 30)], limit)]).toEqual([]);
  });

  it('starts nothing more once a group failed or rolled back, and the wave then fails with its queued groups unstarted', () => {
    for (const broken of ['failed', 'rolledBack'] as const) {
      const groups = [group('a', broken), group('b', 'queued', 1, 1)];
      expect(admissible(groups, limit).size).toBe(0);
      expect(waveStatus(groups)).toBe('Failed');
    }
    expect(waveStatus([group('a', 'patched'), group('b', 'queued')])).toBe('InProgress');
  });

  it('sizes the deadline by how many times over the groups fill the limit', () => {
    const groups = Array.from({ length: 5 }, (_, i) => group(`g${i}`, 'queued', 4, 4));
    // Packed in plan order: two groups of 4 fill 10 extra instances (a third would make 12), so 2 + 2 + 1.
    expect(admissionRounds(groups, limit)).toBe(3);
    // Four groups of 51 against 100 run one at a time, however the totals divide.
    expect(admissionRounds(Array.from({ length: 4 }, (_, i) => group(`h${i}`, 'queued', 51, 51)), { groups: 10, inFlight: 100 })).toBe(4);
    expect(admissionRounds(groups, { groups: 1, inFlight: 100 })).toBe(5);
    expect(admissionRounds(groups, undefined)).toBe(1);
  });
});

describe('the gate of a wave that hands over by proof', () => {
  const next = { groups: 5, inFlight: 100, extra: 8 };

  it('opens once every group started, enough finished and what still refreshes fits the next wave share', () => {
    expect(passedProof([group('a', 'patched'), group('b', 'refreshing'), group('d', 'refreshing')], 1, next)).toBe(true);
    expect(passedProof([group('a', 'patched'), group('b', 'refreshing'), group('d', 'refreshing')], 2, next)).toBe(false);
    expect(passedProof([group('a', 'patched'), group('b', 'refreshing', 5), group('d', 'refreshing', 5)], 1, next)).toBe(false);
    expect(passedProof([group('a', 'partial'), group('b', 'refreshing', 1, 1, { status: 'Pending' })], 1, next)).toBe(true);
    // A group with no instance in service on the new version (all protected or in Standby, or none at all) proves nothing.
    expect(passedProof([group('a', 'partial', 1, 1, { noneMoved: true }), group('b', 'refreshing', 1, 1, { status: 'Pending' })], 1, next)).toBe(false);
    expect(passedProof([group('a', 'patched', 1, 1, { noneMoved: true }), group('b', 'refreshing', 1, 1, { status: 'Pending' })], 1, next)).toBe(false);
  });

  it('stays shut while a group is queued, waits for someone else, failed, rolls back or is cancelled, or a carried one still refreshes', () => {
    const rest = [group('a', 'patched'), group('b', 'patched')];
    for (const shut of [
      group('d', 'queued'),
      group('d', 'busy'),
      group('d', 'failed'),
      group('d', 'rolledBack'),
      group('d', 'refreshing', 4, 4, { status: 'RollbackInProgress' }),
      group('d', 'refreshing', 4, 4, { status: 'Cancelling' }),
      group('d', 'refreshing', 4, 4, { carried: true }),
    ])
      expect(passedProof([...rest, shut], 0, next), `${shut.state} ${shut.status}`).toBe(false);
    // A group already current proves nothing, but it does not hold the gate either.
    expect(passedProof([group('a', 'current'), group('b', 'refreshing')], 1, next)).toBe(false);
    expect(passedProof([group('a', 'current'), group('b', 'refreshing')], 0, next)).toBe(true);
  });
});

/**
 * One variant under surge: a canary and 15 groups of 4 instances, a budget of 16 extra instances, growth 2. Every group
 * is replaced in one batch (200 %), so the waves are 1 (canary), 2, 4, 4, 4, 1, and no two rounds fit the budget
 * together: each hands over to the next by proof.
 */
const VARIANT = 'win2022-core-131';
const ng = (i: number) => `ng-${VARIANT}-${String(i).padStart(4, '0')}`;
const SIZE = 4;
const BUDGET = 16;
const spec = (over: Partial<FleetSpec> = {}): FleetSpec => ({
  variants: [DEFAULT_VARIANTS[0] as NonNullable<FleetSpec['variants']>[number]],
  nodeGroups: 16,
  instances: () => SIZE,
  config: { rollout: { growth: 2, surge: { maxExtraInstances: BUDGET } } },
  ...over,
});

const refreshes = (report: RehearsalReport) => latestRefreshes(report, Array.from({ length: 16 }, (_, i) => ng(i)));

/** The most extra instances at once, counting each refresh's whole group from its start to its end (an upper bound). */
const peakExtra = (r: Map<string, RefreshTimes>) => Math.max(...[...r.values()].map((x) => [...r.values()].filter((y) => y.start <= x.start && x.start < y.end).length * SIZE));

const wavesOf = (report: RehearsalReport) => {
  const child = report.account.executions.find((e) => e.stateMachineArn.endsWith('patch-variant'));
  const variant = storedVariant(report.account, (JSON.parse(child?.input ?? '{}') as { variant: Parameters<typeof storedVariant>[1] }).variant);
  return ((variant?.waves ?? []) as { asgName: string }[][]).map((w) => w.map((g) => g.asgName));
};

describe('rounds that hand over by proof, rehearsed', () => {
  it('start the next round while the one before still refreshes, never past the extra-instance budget, and patch every group', async () => {
    const report = await rehearse(generateScenario(spec()));

    expect(report.status).toBe('SUCCEEDED');
    const waves = wavesOf(report);
    expect(waves.map((w) => w.length)).toEqual([1, 2, 4, 4, 4, 1]);
    const r = await refreshes(report);
    expect([...r.values()].map((x) => x.status)).toEqual(Array(16).fill('Successful'));
    const startOf = (w: number) => Math.min(...(waves[w] ?? []).map((n) => r.get(n)?.start ?? NaN));
    const endOf = (w: number) => Math.max(...(waves[w] ?? []).map((n) => r.get(n)?.end ?? NaN));
    expect(startOf(1)).toBeGreaterThan(endOf(0));
    // The rounds after the second hand over with groups still refreshing, which go on beside the next round's (these
    // groups all take as long, so the next one's start as the carried ones end); the second's two end on one poll.
    for (const w of [2, 3, 4]) expect(report.notifications.find((n) => n.subject?.startsWith(`Wave ${w + 1}/6 passed its gate`))?.subject, `wave ${w + 1}`).toMatch(/, 4 still refreshing$/);
    expect(peakExtra(r)).toBeLessThanOrEqual(BUDGET);
    // Wave 2 waits for one of wave 1's two groups (4 <= 2 x (1 + 1)) before it starts.
    expect(startOf(2)).toBeGreaterThanOrEqual(Math.min(...(waves[1] ?? []).map((n) => r.get(n)?.end ?? NaN)));
  });

  it('stop at a carried group that fails: the wave it went on with starts nothing more, and the report names what never started', async () => {
    const waves = [[0], [1, 2], [3, 4, 5, 6], [7, 8, 9, 10], [11, 12, 13, 14], [15]];
    // The last group of wave 3 rolls back after its wave handed over: wave 4, starting, looks at the groups it carries
    // (unwatched since wave 3 passed), finds the rollback under way and starts none of its own.
    const faults = [{ kind: 'refreshFailure' as const, asgName: ng(6), atPercent: 50, reason: 'Instances failed to pass health checks', times: 1 }];
    const report = await rehearse(generateScenario(spec({ faults })));

    expect(report.status).toBe('FAILED');
    const r = await refreshes(report);
    expect(r.get(ng(6))?.status).toBe('RollbackSuccessful');
    const startedIn = (w: number) => (waves[w] ?? []).filter((i) => r.has(ng(i)));
    expect([3, 4, 5].flatMap(startedIn)).toEqual([]);
    expect(peakExtra(r)).toBeLessThanOrEqual(BUDGET);
    const failure = report.notifications.find((n) => n.subject?.startsWith('FAILED'));
    const unstarted = (waves[3] ?? []).filter((i) => !r.has(ng(i)));
    for (const i of unstarted) expect(failure?.message, ng(i)).toMatch(new RegExp(`${ng(i)}: (not started|never touched)`));
  });
});
