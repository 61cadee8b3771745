import { describe, expect, it } from 'vitest';
import { runSummary, type VariantResult } from '../lib/notify/summary.js';
import type { RunPlan } from '../lib/plan/types.js';
import { DEFAULT_VARIANTS, variantId } from '../local/generate.js';
import { generateScenario, rehearse, type FleetSpec } from './support/rehearse.js';

/** The plan is PlanRun's output: it must fit Step Functions' 256 KB (262,144 bytes) state with the rest of the run's data. */
const STATE_ROOM = 200_000;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** 4 variants x 2 AMIs x 6 parallel launches = 48: an account with the Fast Launch quota raised above the default 40. */
const FOUR_VARIANT_CONFIG = { rollout: { waveSize: 25 }, fastLaunch: { regionalQuota: 48 } };

async function dryRunOf1000(over: Partial<FleetSpec> = {}) {
  const report = await rehearse(generateScenario({ nodeGroups: 1000, variants: DEFAULT_VARIANTS, waveSize: 25, config: FOUR_VARIANT_CONFIG, input: { dryRun: true }, ...over }));
  return { report, plan: report.run.output as RunPlan };
}

describe('a plan over 1,000 node groups and 4 variants', () => {
  it('fits the execution state with room to spare, and its notice lists a sample and says where the whole plan is', async () => {
    const { report, plan } = await dryRunOf1000();

    expect(report.run.error).toBeUndefined();
    expect(plan.variants.flatMap((v) => v.waves.flat())).toHaveLength(1000);
    expect(bytes(plan)).toBeLessThan(STATE_ROOM);
    expect(plan.notice.message.length).toBeLessThan(20_000);
    expect(plan.notice.message).toContain('… and 15 more (full plan: the execution output / `npm run patch -- --dry-run`)');
    expect(plan.notice.message).toMatch(/waves 3-11: 224 node group\(s\)/);
    expect(report.notifications[0]?.message).toBe(plan.notice.message);
  });

  it('still fits when every group carries the same warning: one line per kind, with a count', async () => {
    const { report, plan } = await dryRunOf1000({ asg: () => ({ terminationHook: false }) });

    expect(report.run.error).toBeUndefined();
    expect(bytes(plan)).toBeLessThan(STATE_ROOM);
    // Per variant: the collapsed hook warning, one line for the groups whose EKS cluster is unknown, one for the Fast
    // Launch pool its largest wave outgrows.
    expect(plan.warnings).toHaveLength(12);
    expect(plan.warnings.filter((w) => w.includes('fastLaunch.targetResourceCount 5: at most 5 of the'))).toHaveLength(4);
    expect(plan.warnings[1]).toMatch(/^win2022-core-131: no EKS cluster known for 250 node group\(s\) \(ng-win2022-core-131-0000, .* and 245 more\): planned without readiness gate and drain/);
    expect(plan.warnings[0]).toMatch(/^win2022-core-131: 250 ASGs \(ng-win2022-core-131-0000, .* and 245 more\) has no termination lifecycle hook/);
    expect(plan.notice.message.length).toBeLessThan(20_000);
  });
});

describe('the summary of a run over 1,000 node groups', () => {
  it('counts every group and names at most 20 per variant', () => {
    const results: VariantResult[] = DEFAULT_VARIANTS.map((v, i) => {
      const id = variantId(v);
      const names = Array.from({ length: 250 }, (_, n) => `ng-${id}-${String(n * 4 + i).padStart(4, '0')}`);
      return { variantId: id, output: { variantId: id, sourceAmi: 'ami-a0000000000000001', amiId: 'ami-c0000000000000001', patched: names.slice(0, 240), current: [], skipped: names.slice(240).map((n) => `${n} (another refresh is active)`), warnings: [] } };
    });

    const { notice } = runSummary('monthly-2026-11', results, 'us-west-2', 'arn:aws:states:us-west-2:111122223333:execution:x:monthly-2026-11');

    expect(notice.message.length).toBeLessThan(20_000);
    expect(notice.message).toContain('  patched (240): ng-win2022-core-131-0000, ');
    expect(notice.message).toContain('… and 220 more (every group: the execution output)');
    expect(notice.message).toContain('  skipped (10): ');
    expect(notice.subject).toBe('Patched 960 node group(s), 40 SKIPPED: another refresh was running');
  });
});
