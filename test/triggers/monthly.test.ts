import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateScenario, rehearse, type FleetSpec } from '../support/rehearse.js';

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

describe('the monthly gate, for variants already built after Patch Tuesday (2026-11-10)', () => {
  const WIN2022 = 'win2022-core-131';
  const WIN2019 = 'win2019-core-131';
  const NEW_AMI = 'ami-0d00000000000000a';
  const OLD_AMI = 'ami-0d00000000000000b';

  /** Records each variant's last build as started from the new (2026-11-12) or the old (2026-10-15) AMI. */
  function builtFrom(built: Record<string, 'new' | 'old'>, spec: Partial<FleetSpec> = {}) {
    const scenario = generateScenario({ nodeGroups: 2, ...spec });
    scenario.fleet.amis.push(
      { id: NEW_AMI, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12', platform: 'windows', creationDate: '2026-11-12T06:00:00Z' },
      { id: OLD_AMI, name: 'Windows_Server-2019-English-Core-EKS_Optimized-1.31-2026.10.15', platform: 'windows', creationDate: '2026-10-15T06:00:00Z' },
    );
    for (const [variant, age] of Object.entries(built)) scenario.fleet.ssmParameters[`/eks-windows-patch/${scenario.stage}/${variant}/last-source-ami`] = age === 'new' ? NEW_AMI : OLD_AMI;
    return scenario;
  }

  async function gate(scenario: ReturnType<typeof builtFrom>) {
    let outcome: unknown;
    const report = await rehearse(scenario, {
      start: async (runner) => {
        outcome = await runner.invoke('monthlyGate', tick('2026-11-15T08:00:00Z'));
      },
    });
    const runs = report.account.executions.filter((e) => e.stateMachineArn.endsWith('patch-run'));
    return { outcome, runs, inputs: runs.map((e) => JSON.parse(e.input) as { variants?: string[] }) };
  }

  it('leaves out a variant built from an AMI created after Patch Tuesday, and runs one built from an older AMI', async () => {
    const { outcome, inputs } = await gate(builtFrom({ [WIN2022]: 'new', [WIN2019]: 'old' }));

    expect(outcome).toMatchObject({ due: true, started: true, variants: [WIN2019] });
    expect(inputs.map((i) => i.variants)).toEqual([[WIN2019]]);
  });

  it('runs every variant with triggers.forceMonthlyRebuild, up to date or not', async () => {
    const { outcome, inputs } = await gate(builtFrom({ [WIN2022]: 'new', [WIN2019]: 'new' }, { config: { triggers: { forceMonthlyRebuild: true } } }));

    expect(outcome).toMatchObject({ due: true, started: true, variants: [WIN2022, WIN2019] });
    expect(inputs.map((i) => i.variants)).toEqual([[WIN2022, WIN2019]]);
  });

  it('starts no execution when every variant is up to date, and says why', async () => {
    const { outcome, runs } = await gate(builtFrom({ [WIN2022]: 'new', [WIN2019]: 'new' }));

    expect(outcome).toMatchObject({ due: true, started: false, variants: [], reason: expect.stringContaining('newer than Patch Tuesday 2026-11-10') });
    expect(runs).toEqual([]);
  });
});
