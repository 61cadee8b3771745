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

  it('never passes on an SSM ImageId, which names no AMI', () => {
    const fromSsm = [...planned, { asgName: 'd', imageId: 'resolve:ssm:/eks/windows/node-ami' }];
    const groups = ['a', 'b', 'c', 'd'].map((asgName) => ({ asgName, state: 'patched' as const }));

    expect(retiredImages(fromSsm, groups, 'ami-00000009')).toEqual(['ami-00000001', 'ami-00000002']);
  });
});

const DECEMBER_AMI = 'ami-0c2022c0000000001';
const GROUPS = ['ng-win2022-core-131-0000', 'ng-win2022-core-131-0001'];

/** One variant, two node groups, and next month's AMI to build from. */
function twoMonths() {
  const scenario = generateScenario({ nodeGroups: 2, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }] });
  scenario.fleet.amis.push({ id: DECEMBER_AMI, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.12.10', platform: 'windows' });
  return scenario;
}

describe('next month', () => {
  it('disables Fast Launch on last month\'s AMI once every group left it, and only there', async () => {
    const scenario = twoMonths();
    const report = await rehearse(scenario, {
      start: async (runner) => {
        await runner.startRun('november', {});
        await runner.startRun('december', { variants: ['win2022-core-131'], baseAmi: DECEMBER_AMI });
      },
    });

    const enabled = callsOf(report, 'EnableFastLaunch').map((c) => c.ImageId);
    expect(enabled).toHaveLength(2);
    expect(callsOf(report, 'DisableFastLaunch').map((c) => c.ImageId)).toEqual([enabled[0]]);
    for (const g of scenario.fleet.autoScalingGroups) expect(report.account.asg(g.name).imageId).toBe(enabled[1]);
  });

  it('retires nothing after a run limited to some of the variant\'s node groups: the others still run last month\'s AMI', async () => {
    const scenario = twoMonths();
    const report = await rehearse(scenario, {
      start: async (runner) => {
        await runner.startRun('november', {});
        await runner.startRun('december', { variants: ['win2022-core-131'], nodeGroups: [GROUPS[0]], baseAmi: DECEMBER_AMI });
      },
    });

    const enabled = callsOf(report, 'EnableFastLaunch').map((c) => c.ImageId);
    expect(enabled).toHaveLength(2);
    expect(report.account.asg(GROUPS[0] as string).imageId).toBe(enabled[1]);
    expect(report.account.asg(GROUPS[1] as string).imageId).toBe(enabled[0]);
    expect(callsOf(report, 'DisableFastLaunch')).toEqual([]);
    const described = (await report.account.call('EC2', 'DescribeFastLaunchImages', { ImageIds: [enabled[0]] })) as { FastLaunchImages: { State: string }[] };
    expect(described.FastLaunchImages.map((i) => i.State)).toEqual(['enabled']);
  });

  it('still retires after a run whose input.nodeGroups names every node group of the variant', async () => {
    const scenario = twoMonths();
    const report = await rehearse(scenario, {
      start: async (runner) => {
        await runner.startRun('november', {});
        await runner.startRun('december', { variants: ['win2022-core-131'], nodeGroups: GROUPS, baseAmi: DECEMBER_AMI });
      },
    });

    const enabled = callsOf(report, 'EnableFastLaunch').map((c) => c.ImageId);
    expect(callsOf(report, 'DisableFastLaunch').map((c) => c.ImageId)).toEqual([enabled[0]]);
  });
});
