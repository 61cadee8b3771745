import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateScenario, rehearse } from '../support/rehearse.js';

const tick = (time: string) => ({ ...(JSON.parse(readFileSync('events/monthly-gate.json', 'utf8')) as object), time });

describe('the monthly gate', () => {
  it('starts the month\'s run once on Patch Tuesday + 5, however often it ticks that day', async () => {
    const outcomes: unknown[] = [];
    const report = await rehearse(generateScenario({ nodeGroups: 2 }), {
      start: async (runner) => {
        // While the run is active an identical start returns it; once it ended the name is taken (ExecutionAlreadyExists).
        outcomes.push(await runner.invoke('monthlyGate', tick('2026-11-15T08:00:00Z')), await runner.invoke('monthlyGate', tick('2026-11-15T08:00:00Z')));
        await runner.settled();
        outcomes.push(await runner.invoke('monthlyGate', tick('2026-11-15T20:00:00Z')));
      },
    });

    const runs = report.account.executions.filter((e) => e.stateMachineArn.endsWith('patch-run'));
    expect(runs.map((e) => e.name)).toEqual(['monthly-2026-11']);
    expect(outcomes[0]).toMatchObject({ due: true, started: true, variants: ['win2022-core-131', 'win2019-core-131'] });
    expect(outcomes[2]).toMatchObject({ due: true, started: false });
    expect(report.status).toBe('SUCCEEDED');
  });

  it('starts nothing on other days', async () => {
    let outcome: unknown;
    const report = await rehearse(generateScenario({ nodeGroups: 2 }), {
      start: async (runner) => {
        outcome = await runner.invoke('monthlyGate', tick('2026-11-14T08:00:00Z'));
      },
    });

    expect(outcome).toEqual({ due: false });
    expect(report.account.executions).toHaveLength(0);
  });

  it('reads the day in the configured time zone', async () => {
    let outcome: unknown;
    await rehearse(generateScenario({ nodeGroups: 2, config: { triggers: { timeZone: 'Pacific/Auckland' } } }), {
      start: async (runner) => {
        outcome = await runner.invoke('monthlyGate', tick('2026-11-14T12:00:00Z')); // already the 15th in Auckland
      },
    });

    expect(outcome).toMatchObject({ due: true, name: 'monthly-2026-11' });
  });
});
