import { describe, expect, it } from 'vitest';
import { CostsSchema } from '../lib/config.js';
import { formatCost, runCost, type RunQuantities } from '../lib/cost/model.js';
import { summarize } from '../local/summary.js';
import { rehearseFleet } from './support/rehearse.js';

const costs = CostsSchema.parse({});
const twoVariants: RunQuantities = {
  variants: [
    { id: 'a', buildMinutes: 90, fastLaunch: true, newAmi: true },
    { id: 'b', buildMinutes: 90, fastLaunch: true, newAmi: true },
  ],
  buildInstanceType: 'm6i.xlarge',
  fastLaunchInstanceType: 'm6i.xlarge',
  rootVolumeGiB: 100,
  fastLaunchSnapshots: 5,
  stateTransitions: 1000,
  lambdaInvocations: 500,
  lambdaMemoryMb: 512,
};

describe('the modelled cost of a run (issue 14 item 3)', () => {
  it('prices each item at the configured prices', () => {
    const cost = runCost(twoVariants, costs, { ...costs, amiMonthsKept: 3 });
    const usd = Object.fromEntries(cost.lines.map((l) => [l.item.split(' (')[0], l.usd]));
    // 3 build hours at $0.376; 2 x 5 launches x 20 min = 3.333 h; 2 x 5 x 100 GB-months; 2 x 100 GiB x 3 months at $0.05.
    expect(usd['Image Builder build instance']).toBeCloseTo(1.128, 4);
    expect(usd['Fast Launch pre-provisioning launches']).toBeCloseTo(1.2533, 3);
    expect(usd['Fast Launch pre-provisioned snapshots, kept 1 month']).toBe(50);
    expect(usd['AMI root snapshots, kept 3 months']).toBe(30);
    expect(usd['Step Functions state transitions']).toBe(0.025);
    // 500 x 2 s x 0.5 GB = 500 GB-s.
    expect(usd['Lambda compute']).toBeCloseTo(0.0067, 4);
    expect(cost.totalUsd).toBe(82.41);
    expect(cost.unpriced).toEqual([]);
  });

  it('takes overridden prices, and names an instance type without one and its fix', () => {
    const mine = CostsSchema.parse({ instanceHourUsd: { 'm6i.xlarge': 1 }, snapshotGbMonthUsd: 0 });
    const cost = runCost({ ...twoVariants, fastLaunchInstanceType: 'c7i.large' }, mine, { ...mine, amiMonthsKept: 3 });
    expect(cost.lines[0]?.usd).toBe(3);
    expect(cost.lines[1]?.usd).toBe(0);
    expect(formatCost(cost)).toContain('  No price for c7i.large: counted at $0; set costs.instanceHourUsd.c7i.large');
  });

  it('a rehearsed run states its cost in the summary (--json): build minutes from the simulated build, Fast Launch per variant', async () => {
    const report = await rehearseFleet({ nodeGroups: 2, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], durations: { imageBuild: 120 } });
    const summary = summarize(report);
    const build = summary.cost.lines.find((l) => l.item.startsWith('Image Builder build instance'));
    expect(build?.quantity).toBe(2);
    expect(summary.cost.lines.find((l) => l.item.startsWith('AMI root snapshots'))?.quantity).toBe(300);
    expect(summary.cost.lines.find((l) => l.item.startsWith('Fast Launch pre-provisioned'))?.quantity).toBe(500);
    expect(summary.cost.lines.find((l) => l.item === 'Step Functions state transitions')?.quantity).toBe(summary.stateTransitions);
    expect(summary.cost.prices.instanceHourUsd['m6i.xlarge']).toBe(0.376);
    expect(summary.cost.totalUsd).toBeGreaterThan(0);
  });
});
