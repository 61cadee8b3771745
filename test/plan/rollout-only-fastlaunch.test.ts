import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../../lib/plan/types.js';
import { generateScenario, rehearse, type RehearsalReport } from '../support/rehearse.js';

const AMI = 'ami-0a2022c0000000001';
/**
 * A dry-run of a rollout-only run (events/rollout-only.json) over 8 groups, of an AMI an earlier run built and enabled
 * Fast Launch on (5 snapshots, 6 parallel launches).
 */
function rolloutOnly(fleet: Record<string, unknown>, fastLaunch = true) {
  const s = generateScenario({ variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], nodeGroups: 8, input: { variants: ['win2022-core-131'], stages: ['rollout'], amiId: AMI, dryRun: true } });
  s.fleet.amis.push({ id: AMI, name: 'eks-windows-patch-win2022-core-131-2026-11-12', platform: 'windows', owner: 'self', tags: { 'eks-windows-patch:variant': 'win2022-core-131' }, fastLaunch: { targetResourceCount: 5, maxParallelLaunches: 6 } });
  if (!fastLaunch) s.config = { ...s.config, fastLaunch: { ...s.config.fastLaunch, enabled: false } };
  Object.assign(s.fleet, fleet);
  return s;
}
const warnings = (r: RehearsalReport) => (r.run.output as RunPlan).warnings;

describe('a rollout-only run of an AMI with Fast Launch on (no fastLaunch stage)', () => {
  it('warns once that its largest wave outgrows the snapshot pool', async () => {
    const r = await rehearse(rolloutOnly({}), { logLevel: 'SILENT' });

    expect(r.status).toBe('SUCCEEDED');
    expect(warnings(r).filter((w) => w.startsWith('win2022-core-131: fastLaunch.targetResourceCount 5: at most 5 of the 26 launches of wave 2 (the largest)'))).toHaveLength(1);
  });

  it("holds the replenishing temporary instances out of the vCPU quota's headroom: 2 AMIs x 6 x m6i.xlarge (4 vCPUs), no build", async () => {
    const r = await rehearse(rolloutOnly({ onDemandVcpuQuota: 1 }), { logLevel: 'SILENT' });

    expect(r.status).toBe('FAILED');
    expect(String(r.run.error?.Cause)).toContain("the account uses 112 (+48 for the run's image builds and Fast Launch)");
  });

  it('holds nothing and warns of no pool with fastLaunch.enabled false', async () => {
    const r = await rehearse(rolloutOnly({ onDemandVcpuQuota: 1 }, false), { logLevel: 'SILENT' });

    expect(String(r.run.error?.Cause)).toContain('the account uses 112: a refresh launches before it terminates');
    const dry = await rehearse(rolloutOnly({}, false), { logLevel: 'SILENT' });
    expect(warnings(dry).some((w) => w.includes('fastLaunch.targetResourceCount'))).toBe(false);
  });
});
