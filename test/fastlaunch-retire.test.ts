import { describe, expect, it } from 'vitest';
import { retiredImages } from '../lib/fastlaunch-retire.js';
import { callsOf, generateScenario, rehearse } from './support/rehearse.js';

describe('retiredImages', () => {
  const planned = [
    { asgName: 'a', imageId: 'ami-00000001' },
    { asgName: 'b', imageId: 'ami-00000001' },
    { asgName: 'c', imageId: 'ami-00000002' },
  ];

  it('retires an AMI only when every group that ran it moved off', () => {
    const groups = [
      { asgName: 'a', state: 'patched' as const },
      { asgName: 'b', state: 'patched' as const },
      { asgName: 'c', state: 'skipped' as const },
    ];
    expect(retiredImages(planned, groups, 'ami-00000009')).toEqual(['ami-00000001']);
  });

  it('never retires the AMI just rolled out, nor one a group still runs', () => {
    const groups = [
      { asgName: 'a', state: 'patched' as const },
      { asgName: 'b', state: 'rolledBack' as const },
      { asgName: 'c', state: 'current' as const },
    ];
    expect(retiredImages(planned, groups, 'ami-00000002')).toEqual([]);
  });
});

describe('next month', () => {
  it('disables Fast Launch on last month\'s AMI once every group left it, and only there', async () => {
    const scenario = generateScenario({ nodeGroups: 2, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }] });
    scenario.fleet.amis.push({ id: 'ami-0c2022c0000000001', name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.12.10', platform: 'windows' });
    const report = await rehearse(scenario, {
      start: async (runner) => {
        await runner.startRun('november', {});
        await runner.startRun('december', { variants: ['win2022-core-131'], baseAmi: 'ami-0c2022c0000000001' });
      },
    });

    const enabled = callsOf(report, 'EnableFastLaunch').map((c) => c.ImageId);
    expect(enabled).toHaveLength(2);
    expect(callsOf(report, 'DisableFastLaunch').map((c) => c.ImageId)).toEqual([enabled[0]]);
    for (const g of scenario.fleet.autoScalingGroups) expect(report.account.asg(g.name).imageId).toBe(enabled[1]);
  });
});
