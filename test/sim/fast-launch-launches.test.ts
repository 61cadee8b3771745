import { AutoScalingClient, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeFastLaunchImagesCommand, DescribeInstancesCommand, DisableFastLaunchCommand, EC2Client, EnableFastLaunchCommand } from '@aws-sdk/client-ec2';
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
    // Fast Launch on the old AMI: the refresh's launches (the new AMI, never enabled: slow) are delayed by the bucket.
    await ec2.send(new EnableFastLaunchCommand({ ImageId: OLD, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 200 } }));
    await start('ng-a');
    clock.tick(4 * 3600_000);

    const a = await refresh('ng-a');
    expect(a?.Status).toBe('Successful');
    // 1,000 tokens less 200, plus 60 refilled during the 30 s Pending: the batch of 1,000 waits for 140 more at 2 per
    // second (70 s), then a launch without Fast Launch. Without the enable's launches it would start when Pending ends.
    expect((a?.EndTime?.getTime() ?? 0) - T0).toBe(30_000 + 70_000 + Math.round(8 * MIN * WITHOUT_FAST_LAUNCH));
  });
});

describe('the pool of pre-provisioned snapshots (TargetResourceCount, replenished MaxParallelLaunches at a time)', () => {
  const SLOW = Math.round(8 * MIN * WITHOUT_FAST_LAUNCH);
  const many = (n: number, extra: Record<string, unknown> = {}) =>
    ScenarioFleetSchema.parse({
      amis: fleet.amis,
      launchTemplates: Array.from({ length: n }, (_, i) => ({ name: `ng-${i}`, versions: [{ imageId: OLD }, { imageId: NEW }] })),
      autoScalingGroups: Array.from({ length: n }, (_, i) => ({ name: `ng-${i}`, launchTemplate: `ng-${i}`, instances: 1 })),
      ...extra,
    });
  const duration = async (name: string) => {
    const r = await refresh(name);
    expect(r?.Status).toBe('Successful');
    return (r?.EndTime?.getTime() ?? 0) - (r?.StartTime?.getTime() ?? 0) - 30_000;
  };
  // A second apart: RunInstances' request bucket (5, then 2 per second) never delays them (ec2-limits.ts).
  const startAll = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      await start(`ng-${i}`);
      clock.tick(1000);
    }
  };
  const fresh = (f: ReturnType<typeof many>) => {
    sim.restore();
    sim = installSimulation(new SimulatedAccount({ fleet: f, faults: [], durations: { instanceLaunch: 8, fastLaunchEnable: 30 } }));
  };

  it('serves TargetResourceCount launches fast; the rest launch without a snapshot until the taken ones are replenished', async () => {
    fresh(many(8));
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 3 } }));
    clock.tick(30 * MIN);
    await startAll(0, 6);
    // An hour after the first three took theirs (launch frequency: TargetResourceCount per hour), the snapshots are back.
    clock.tick(61 * MIN);
    await startAll(6, 8);
    clock.tick(4 * 3600_000);
    expect(await Promise.all(Array.from({ length: 8 }, (_, i) => duration(`ng-${i}`)))).toEqual([8 * MIN, 8 * MIN, 8 * MIN, SLOW, SLOW, SLOW, 8 * MIN, 8 * MIN]);
  });

  it('serves at most TargetResourceCount fast launches per rolling hour (launch frequency), however fast it replenishes', async () => {
    fresh(many(9));
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 3 } }));
    clock.tick(30 * MIN);
    await startAll(0, 3);
    // The three replacements are made by 60.5 min, but three launches from 30.5 min fill the hour: 61 min is too early.
    clock.tick(31 * MIN);
    await startAll(3, 6);
    // From 90.5 min on the hour is free again (the three launched at 61 min went without a snapshot).
    clock.tick(30 * MIN);
    await startAll(6, 9);
    clock.tick(4 * 3600_000);
    expect(await Promise.all(Array.from({ length: 9 }, (_, i) => duration(`ng-${i}`)))).toEqual([8 * MIN, 8 * MIN, 8 * MIN, SLOW, SLOW, SLOW, 8 * MIN, 8 * MIN, 8 * MIN]);
  });

  it("books a RunInstances request token for each replenishing instance: another group's launch in the same second waits", async () => {
    // ng-0's batch of 6 takes the 6 snapshots at 30.5 min: its request plus 6 replenishing requests against a bucket of 5
    // refilled at 2 per second (ec2-limits.ts) leave none for ng-1's batch in that second or the next: it launches 2 s late.
    const f = ScenarioFleetSchema.parse({ amis: fleet.amis, launchTemplates: fleet.launchTemplates, autoScalingGroups: [{ name: 'ng-a', launchTemplate: 'ng-a', instances: 6 }, { name: 'ng-b', launchTemplate: 'ng-b', instances: 1 }] });
    fresh(f);
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 6 } }));
    clock.tick(30 * MIN);
    await start('ng-a');
    await start('ng-b');
    clock.tick(4 * 3600_000);
    expect(await duration('ng-a')).toBe(8 * MIN);
    expect(await duration('ng-b')).toBe(2000 + SLOW);
  });

  it('never gives a later booking a snapshot promised to an earlier-booked launch, even one due later', async () => {
    // One snapshot. ng-0's two batches (one instance each, a 62-minute checkpoint between them) are booked at its start:
    // the first takes the snapshot at 30.5 min (back at 90.5, launch frequency), the second is promised it at 100.5 min.
    // ng-1, booked 65 minutes later, launches at 95.5 min: the snapshot is on hand then, but taking it would leave none
    // for ng-0's second batch 5 minutes on, so ng-1 launches slow.
    const two = ScenarioFleetSchema.parse({ amis: fleet.amis, launchTemplates: [{ name: 'ng-0', versions: [{ imageId: OLD }, { imageId: NEW }] }, { name: 'ng-1', versions: [{ imageId: OLD }, { imageId: NEW }] }], autoScalingGroups: [{ name: 'ng-0', launchTemplate: 'ng-0', instances: 2 }, { name: 'ng-1', launchTemplate: 'ng-1', instances: 1 }] });
    fresh(two);
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 1 } }));
    clock.tick(30 * MIN);
    await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-0', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-0', Version: '2' } }, Preferences: { MinHealthyPercentage: 50, CheckpointPercentages: [50, 100], CheckpointDelay: 62 * 60 } }));
    clock.tick(65 * MIN);
    await start('ng-1');
    clock.tick(4 * 3600_000);
    const ng0 = await refresh('ng-0');
    expect(ng0?.Status).toBe('Successful');
    // Both of ng-0's batches fast (8 min each) with the 62-minute checkpoint between them.
    expect((ng0?.EndTime?.getTime() ?? 0) - (ng0?.StartTime?.getTime() ?? 0)).toBe(30_000 + 8 * MIN + 62 * MIN + 8 * MIN);
    expect(await duration('ng-1')).toBe(SLOW);
  });

  it('replenishes at most MaxParallelLaunches snapshots at a time', async () => {
    fresh(many(26));
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 13 } }));
    // Thirteen snapshots, six at a time: three rounds, all on hand 90 minutes after the enable.
    clock.tick(90 * MIN);
    await startAll(0, 13);
    // The thirteen taken at 90.5 min are replaced six at a time: six back at 120.5, six at 150.5 (their hour ends then
    // too), the thirteenth at 180.5. At 151.7 min twelve are on hand: twelve launch fast, one slow.
    clock.tick(61 * MIN);
    await startAll(13, 26);
    clock.tick(4 * 3600_000);
    const times = await Promise.all(Array.from({ length: 26 }, (_, i) => duration(`ng-${i}`)));
    expect(times.slice(0, 13)).toEqual(Array(13).fill(8 * MIN));
    expect(times.slice(13)).toEqual([...Array(12).fill(8 * MIN), SLOW]);
  });

  it('launches slow from an AMI whose Fast Launch was never enabled or is disabled', async () => {
    fresh(many(2));
    await start('ng-0');
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6 }));
    clock.tick(35 * MIN);
    await ec2.send(new DisableFastLaunchCommand({ ImageId: NEW }));
    await start('ng-1');
    clock.tick(4 * 3600_000);
    expect(await duration('ng-0')).toBe(SLOW);
    expect(await duration('ng-1')).toBe(SLOW);
  });

  it("keeps an earlier enable's temporary instances running after the AMI is disabled and enabled again", async () => {
    fresh(many(1));
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6 }));
    clock.tick(MIN);
    await ec2.send(new DisableFastLaunchCommand({ ImageId: NEW }));
    clock.tick(6 * MIN);
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6 }));
    // At 8 min: the first enable's six (running until 30 min) and the second's six.
    clock.tick(MIN);
    const listed = (await ec2.send(new DescribeInstancesCommand({}))).Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    const temporary = listed.filter((i) => i.InstanceType === 't3.2xlarge');
    expect(temporary).toHaveLength(12);
    expect(new Set(temporary.map((i) => i.InstanceId)).size).toBe(12);
    clock.tick(23 * MIN);
    const later = (await ec2.send(new DescribeInstancesCommand({}))).Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    expect(later.filter((i) => i.InstanceType === 't3.2xlarge')).toHaveLength(6);
  });
});

describe("Fast Launch's temporary instances and the On-Demand vCPU quota", () => {
  // ng-a and ng-b: 4 instances of m5.large (8 vCPUs).
  const withTemplate = (quota: number) =>
    ScenarioFleetSchema.parse({ ...fleet, onDemandVcpuQuota: quota, launchTemplates: [...fleet.launchTemplates.map((t) => ({ name: t.name, versions: t.versions })), { name: 'fast-launch', versions: [{ imageId: NEW, instanceType: 'm6i.xlarge', userData: false }] }] });

  it('count while they run (the launch template type), and an enable they do not fit into fails with VcpuLimitExceeded', async () => {
    sim.restore();
    // 8 vCPUs of groups + 5 x 4 (m6i.xlarge) = 28 fit in 30; a second AMI's 5 more do not.
    sim = installSimulation(new SimulatedAccount({ fleet: withTemplate(30), faults: [], durations: { instanceLaunch: 8, fastLaunchEnable: 30 } }));
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 5 }, LaunchTemplate: { LaunchTemplateName: 'fast-launch', Version: '1' } }));
    await ec2.send(new EnableFastLaunchCommand({ ImageId: OLD, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 5 }, LaunchTemplate: { LaunchTemplateName: 'fast-launch', Version: '1' } }));
    // DescribeInstances lists them (the product reads the quota's usage there): the first enable's five, not the failed one's.
    const listed = (await ec2.send(new DescribeInstancesCommand({}))).Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    expect(listed.filter((i) => i.InstanceType === 'm6i.xlarge').map((i) => i.ImageId)).toEqual([NEW, NEW, NEW, NEW, NEW]);
    // A surge refresh needing 4 vCPUs more (2 extra m5.large) does not fit either while the temporary instances run.
    await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-a', Version: '2' } }, Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200 } }));
    clock.tick(31 * MIN);
    const images = (await ec2.send(new DescribeFastLaunchImagesCommand({}))).FastLaunchImages ?? [];
    expect(images.find((i) => i.ImageId === NEW)?.State).toBe('enabled');
    const old = images.find((i) => i.ImageId === OLD);
    expect(old?.State).toBe('enabling-failed');
    expect(old?.StateTransitionReason).toMatch(/^VcpuLimitExceeded: .*current vCPU limit of 30/);
    expect((await refresh('ng-a'))?.StatusReason).toContain('VcpuLimitExceeded');
    // Once they are done, the same refresh fits.
    await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-b', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-b', Version: '2' } }, Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200 } }));
    clock.tick(3600_000);
    expect((await refresh('ng-b'))?.Status).toBe('Successful');
  });

  it('count the replenishing instances too: a launch that takes a snapshot starts one', async () => {
    sim.restore();
    // 8 + 4 (one replenishing m6i.xlarge) = 12: a surge of 2 m5.large (4 vCPUs) does not fit in 14 while it runs.
    sim = installSimulation(new SimulatedAccount({ fleet: withTemplate(14), faults: [], durations: { instanceLaunch: 8, fastLaunchEnable: 30 } }));
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 1 }, LaunchTemplate: { LaunchTemplateName: 'fast-launch', Version: '1' } }));
    clock.tick(31 * MIN);
    // MinHealthy 50 / MaxHealthy 100: one at a time, terminate first (no extra instance); its first launch takes the snapshot.
    await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-a', Version: '2' } }, Preferences: { MinHealthyPercentage: 50, MaxHealthyPercentage: 100 } }));
    clock.tick(MIN);
    await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-b', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-b', Version: '2' } }, Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200 } }));
    clock.tick(3 * 3600_000);
    expect((await refresh('ng-a'))?.Status).toBe('Successful');
    expect((await refresh('ng-b'))?.StatusReason).toContain('VcpuLimitExceeded');
  });

  it('a replenishing instance that does not fit the quota is not launched: the snapshot it would replace is gone for good', async () => {
    sim.restore();
    // Quota 15: the enable's one m6i.xlarge fits (8 + 4). At 31 min ng-b's surge to the old AMI (version 3) adds 4 vCPUs:
    // the replacement of the snapshot ng-a's first launch takes (8 + 4 + 4 = 16) does not fit, so ng-a's second batch,
    // two hours later, finds none and launches slow.
    const f = ScenarioFleetSchema.parse({ ...fleet, onDemandVcpuQuota: 15, launchTemplates: [{ name: 'ng-a', versions: fleet.launchTemplates[0]?.versions }, { name: 'ng-b', versions: [...(fleet.launchTemplates[1]?.versions ?? []), { imageId: OLD }] }, { name: 'fast-launch', versions: [{ imageId: NEW, instanceType: 'm6i.xlarge', userData: false }] }] });
    sim = installSimulation(new SimulatedAccount({ fleet: f, faults: [], durations: { instanceLaunch: 8, fastLaunchEnable: 30 } }));
    await ec2.send(new EnableFastLaunchCommand({ ImageId: NEW, MaxParallelLaunches: 6, SnapshotConfiguration: { TargetResourceCount: 1 }, LaunchTemplate: { LaunchTemplateName: 'fast-launch', Version: '1' } }));
    clock.tick(31 * MIN);
    await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-b', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-b', Version: '3' } }, Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200 } }));
    await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-a', Version: '2' } }, Preferences: { MinHealthyPercentage: 50, MaxHealthyPercentage: 100, CheckpointPercentages: [50, 100], CheckpointDelay: 2 * 3600 } }));
    clock.tick(6 * 3600_000);
    expect((await refresh('ng-b'))?.Status).toBe('Successful');
    const a = await refresh('ng-a');
    expect(a?.Status).toBe('Successful');
    expect((a?.EndTime?.getTime() ?? 0) - (a?.StartTime?.getTime() ?? 0)).toBe(30_000 + 8 * MIN + 120 * MIN + Math.round(8 * MIN * WITHOUT_FAST_LAUNCH));
  });
});
