import { AutoScalingClient, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { EC2Client, EnableFastLaunchCommand } from '@aws-sdk/client-ec2';
import { install } from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/sim/account.js';
import { WITHOUT_FAST_LAUNCH } from '../../local/sim/fastlaunch.js';
import { ScenarioFleetSchema } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';

const OLD = 'ami-0000000000000a001';
const NEW = 'ami-0000000000000a002';
const T0 = Date.parse('2026-10-20T09:00:00Z');
const MIN = 60_000;
const fleet = ScenarioFleetSchema.parse({
  amis: [
    { id: OLD, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.09.10' },
    { id: NEW, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.14' },
  ],
  launchTemplates: ['ng-a', 'ng-b'].map((name) => ({ name, versions: [{ imageId: OLD }, { imageId: NEW }] })),
  autoScalingGroups: ['ng-a', 'ng-b'].map((name) => ({ name, launchTemplate: name, instances: 2 })),
});

let clock: ReturnType<typeof install>;
let sim: { restore(): void };
const asg = new AutoScalingClient({ region: 'us-west-2' });
const ec2 = new EC2Client({ region: 'us-west-2' });
// The whole group in one batch: one launch time per refresh.
const start = (name: string) =>
  asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: name, DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: name, Version: '2' } }, Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200 } }));
const refresh = async (name: string) => (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name }))).InstanceRefreshes?.[0];

beforeEach(() => {
  clock = install({ now: T0, toFake: ['Date'] });
  sim = installSimulation(new SimulatedAccount({ fleet, faults: [], durations: { instanceLaunch: 8, fastLaunchEnable: 30 } }));
});
afterEach(() => {
  sim.restore();
  clock.uninstall();
});

describe('launching a Windows AMI whose Fast Launch is still enabling', () => {
  it('goes ahead without pre-provisioned snapshots and takes 1 / 0.35 as long; once enabled, a launch takes durations.instanceLaunch', async () => {
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6 }));
    await start('ng-a');
    clock.tick(31 * MIN);
    await start('ng-b');
    clock.tick(4 * 3600_000);

    const a = await refresh('ng-a');
    const b = await refresh('ng-b');
    expect(a?.Status).toBe('Successful');
    expect(b?.Status).toBe('Successful');
    // 30 s Pending, then one batch.
    expect((a?.EndTime?.getTime() ?? 0) - (a?.StartTime?.getTime() ?? 0)).toBe(30_000 + Math.round(8 * MIN * WITHOUT_FAST_LAUNCH));
    expect((b?.EndTime?.getTime() ?? 0) - (b?.StartTime?.getTime() ?? 0)).toBe(30_000 + 8 * MIN);
  });
});

describe("Fast Launch's pre-provisioning launches", () => {
  it("take RunInstances tokens from the account's bucket: a 1,000-instance batch right after a 200-snapshot enable starts 70 s late", async () => {
    sim.restore();
    const big = ScenarioFleetSchema.parse({ ...fleet, autoScalingGroups: [{ name: 'ng-a', launchTemplate: 'ng-a', instances: 1000 }] });
    sim = installSimulation(new SimulatedAccount({ fleet: big, faults: [], durations: { instanceLaunch: 8, fastLaunchEnable: 30 } }));
    // Fast Launch on the old AMI: the refresh's launches (the new AMI) are not slowed, only delayed by the bucket.
    await ec2.send(new EnableFastLaunchCommand({ ImageId: OLD, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 200 } }));
    await start('ng-a');
    clock.tick(4 * 3600_000);

    const a = await refresh('ng-a');
    expect(a?.Status).toBe('Successful');
    // 1,000 tokens less 200, plus 60 refilled during the 30 s Pending: the batch of 1,000 waits for 140 more at 2 per
    // second (70 s), then 8 minutes. Without the enable's launches it would start when Pending ends.
    expect((a?.EndTime?.getTime() ?? 0) - T0).toBe(30_000 + 70_000 + 8 * MIN);
  });
});
