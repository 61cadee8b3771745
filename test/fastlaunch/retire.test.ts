import { DescribeFastLaunchImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { retiredImages } from '../../lib/fastlaunch/retire.js';
import { groupsUsing, type GroupOnImage } from '../../lib/fastlaunch/unused.js';
import { callsOf, generateScenario, rehearse, type RehearsalReport } from '../support/rehearse.js';

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

describe('groupsUsing (the failure path\'s check)', () => {
  const AMI = 'ami-0new0000000000001';
  const OLD = 'ami-0old0000000000001';
  const group = (asgName: string, over: Partial<GroupOnImage> = {}): GroupOnImage => ({ asgName, launches: OLD, instances: [OLD, OLD], refreshing: false, ...over });

  it('finds no user when every group launches and runs the old AMI and no refresh runs', () => {
    expect(groupsUsing([group('a'), group('b', { instances: [] })], AMI)).toEqual([]);
  });

  it('counts a group that moved, one with an instance on the new AMI, and one still refreshing', () => {
    const groups = [group('moved', { launches: AMI }), group('half', { instances: [OLD, AMI] }), group('busy', { refreshing: true }), group('still')];

    expect(groupsUsing(groups, AMI)).toEqual(['moved', 'half', 'busy']);
  });
});

/** One variant; its only canary is ng-0000, then ng-0001 and ng-0002 one per wave. */
const oneVariant = (nodeGroups: number, failing: string) =>
  generateScenario({
    nodeGroups,
    variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }],
    waveSize: 1,
    faults: [{ kind: 'refreshFailure', asgName: failing, atPercent: 50, reason: 'Instances failed to pass ELB health checks' }],
  });

async function fastLaunchStates(report: RehearsalReport, imageId: string): Promise<string[]> {
  const out = (await report.account.call('EC2', 'DescribeFastLaunchImages', { ImageIds: [imageId] })) as { FastLaunchImages: { State: string }[] };
  return out.FastLaunchImages.map((i) => i.State);
}

describe('a variant that fails before any node group moved to its new AMI', () => {
  it('turns Fast Launch off on that AMI when the canary refresh fails and rolls back, and says so', async () => {
    const report = await rehearse(oneVariant(1, 'ng-win2022-core-131-0000'));

    expect(report.status).toBe('FAILED');
    const [newAmi] = callsOf(report, 'EnableFastLaunch').map((c) => String(c.ImageId));
    expect(report.account.asg('ng-win2022-core-131-0000')).toMatchObject({ version: '1', refreshStatus: 'RollbackSuccessful' });
    expect(report.account.instances('ng-win2022-core-131-0000').some((i) => i.imageId === newAmi)).toBe(false);
    const disables = report.calls.filter((c) => c.operation === 'DisableFastLaunch' && !c.error);
    expect(disables.map((c) => [c.fn, (c.input as { ImageId: string }).ImageId])).toEqual([['reportVariantFailure', newAmi]]);
    expect(await fastLaunchStates(report, newAmi as string)).not.toContain('enabled');
    expect(['disabling', undefined]).toContain((await fastLaunchStates(report, newAmi as string))[0]);
    const notice = report.notifications.find((n) => n.subject?.startsWith('FAILED rollout'));
    expect(notice?.message).toContain(`Fast Launch: turned off on ${newAmi}, as no node group moved to it`);
    expect(notice?.message).toContain(`start the run with stages ["fastLaunch", "rollout"] and amiId ${newAmi}`);
  });

  it('keeps Fast Launch on once a group moved to the AMI, and names the groups', async () => {
    const report = await rehearse(oneVariant(3, 'ng-win2022-core-131-0002'));

    expect(report.status).toBe('FAILED');
    const [newAmi] = callsOf(report, 'EnableFastLaunch').map((c) => String(c.ImageId));
    expect(report.account.asg('ng-win2022-core-131-0000').imageId).toBe(newAmi);
    expect(report.account.asg('ng-win2022-core-131-0001').imageId).toBe(newAmi);
    expect(callsOf(report, 'DisableFastLaunch')).toEqual([]);
    expect(await fastLaunchStates(report, newAmi as string)).toEqual(['enabled']);
    const notice = report.notifications.find((n) => n.subject?.startsWith('FAILED rollout'));
    expect(notice?.message).toContain(`Fast Launch stays on for ${newAmi}: ng-win2022-core-131-0000, ng-win2022-core-131-0001 moved or are moving to it.`);
  });

  it('leaves Fast Launch alone when the image build failed: there is no AMI to turn it off on', async () => {
    const scenario = oneVariant(1, 'ng-win2022-core-131-0000');
    scenario.faults = [{ kind: 'imageBuildFailure', recipe: 'win2022-core-131', reason: 'update-windows exited with 0x80070643', at: 'BUILDING' }];

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    expect(callsOf(report, 'EnableFastLaunch')).toEqual([]);
    expect(report.calls.filter((c) => c.fn === 'reportVariantFailure' && /FastLaunch/.test(c.operation))).toEqual([]);
  });
});

/** The AMIs whose Fast Launch is being turned off now, read as the operator would. */
async function disablingImages(): Promise<string[]> {
  const out = await new EC2Client({ region: 'us-west-2' }).send(new DescribeFastLaunchImagesCommand({}));
  return (out.FastLaunchImages ?? []).filter((i) => i.State === 'disabling').map((i) => i.ImageId as string);
}

describe('a rerun right after a variant turned Fast Launch off on its AMI', () => {
  it('is refused Fast Launch while EC2 still removes the snapshots, warns why, and rolls the AMI out without it', async () => {
    const scenario = oneVariant(1, 'ng-win2022-core-131-0000');
    scenario.faults = [{ kind: 'refreshFailure', asgName: 'ng-win2022-core-131-0000', atPercent: 50, reason: 'Instances failed to pass ELB health checks', times: 1 }];
    let amiId = '';
    const report = await rehearse(scenario, {
      start: async (runner) => {
        await runner.startRun('first', {});
        [amiId = ''] = await disablingImages();
        return runner.startRun('rerun', { variants: ['win2022-core-131'], stages: ['fastLaunch', 'rollout'], amiId });
      },
    });

    expect(amiId).toMatch(/^ami-/);
    const enables = report.calls.filter((c) => c.operation === 'EnableFastLaunch');
    expect(enables.map((c) => [(c.input as { ImageId: string }).ImageId, c.error ?? 'ok'])).toEqual([
      [amiId, 'ok'],
      [amiId, 'IncorrectState'],
    ]);
    expect(report.account.asg('ng-win2022-core-131-0000')).toMatchObject({ imageId: amiId, refreshStatus: 'Successful' });
    const warned = report.notifications.filter((n) => n.message.includes(`Fast Launch for ${amiId} was refused: it is still being disabled (an earlier run turned it off)`));
    expect(warned.length).toBeGreaterThan(0);
    expect(await fastLaunchStates(report, amiId)).not.toContain('enabled');
  });
});
