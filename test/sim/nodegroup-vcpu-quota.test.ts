import { AutoScalingClient, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeUpdateCommand, EKSClient, UpdateNodegroupVersionCommand } from '@aws-sdk/client-eks';
import { afterEach, describe, expect, it } from 'vitest';
import { installClock, type SimulatedClock } from '../../local/clock.js';
import { SimulatedAccount } from '../../local/sim/account.js';
import { ScenarioFleetSchema } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';
import { nodegroupAsgName } from '../../local/sim/nodegroups.js';
import { AMI_2022, START_ISO, advance } from './eks-fixture.js';

const AMI_B = 'ami-0aaaabbbbccccdddd';
const MIN = 60_000;
const eks = new EKSClient({ region: 'us-west-2' });
const autoscaling = new AutoScalingClient({ region: 'us-west-2' });
let clock: SimulatedClock | undefined;
let sim: { restore(): void } | undefined;

afterEach(() => {
  sim?.restore();
  clock?.uninstall();
  sim = clock = undefined;
});


/**
 * Self-managed ng-a (10 x m5.large: 20 vCPUs) and managed node group mng-a (3 x m5.large: 6 vCPUs) in cluster prod-eks:
 * 26 vCPUs in use. The sim's groups span two Availability Zones, so an update of mng-a (maxUnavailable 1) scales up by
 * max(2 x 2, 1) = 4 instances of 2 vCPUs: 8 vCPUs beside the node group.
 */
function setup(quota: number, maxUnavailable = 1, instances = 3): void {
  clock = installClock(START_ISO);
  const fleet = ScenarioFleetSchema.parse({
    amis: [
      { id: AMI_2022, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15' },
      { id: AMI_B, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12' },
    ],
    launchTemplates: [
      { name: 'mng-win', versions: [{ imageId: AMI_2022 }, { imageId: AMI_B }] },
      { name: 'ng-a', versions: [{ imageId: AMI_2022 }, { imageId: AMI_B }] },
    ],
    autoScalingGroups: [{ name: 'ng-a', launchTemplate: 'ng-a', instances: 10 }],
    clusters: [{ name: 'prod-eks', workloads: [] }],
    managedNodeGroups: [{ cluster: 'prod-eks', name: 'mng-a', launchTemplate: 'mng-win', version: 1, instances, maxUnavailable }],
    onDemandVcpuQuota: quota,
  });
  sim = installSimulation(new SimulatedAccount({ fleet, faults: [] }));
}
const update = async () => (await eks.send(new UpdateNodegroupVersionCommand({ clusterName: 'prod-eks', nodegroupName: 'mng-a', launchTemplate: { name: 'mng-win', version: '2' } }))).update!.id!;
const updateOf = async (id: string) => (await eks.send(new DescribeUpdateCommand({ name: 'prod-eks', nodegroupName: 'mng-a', updateId: id }))).update!;
const refresh = () =>
  autoscaling.send(
    new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-a', Version: '2' } }, Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 110, SkipMatching: true } }),
  );
const refreshOf = async () => (await autoscaling.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'ng-a' }))).InstanceRefreshes?.[0];

describe('a managed node group update against the On-Demand vCPU quota L-1216C47A', () => {
  it('fails at its first batch with AsgInstanceLaunchFailures and EC2 VcpuLimitExceeded when its scale-up (2 x AZs) does not fit', async () => {
    // 26 + 8 = 34 > 33; one batch alone (maxUnavailable 1: 2 vCPUs) would fit.
    setup(33);
    const id = await update();
    await advance(clock!, 60 * MIN);

    const u = await updateOf(id);
    expect(u.status).toBe('Failed');
    expect(u.errors).toEqual([
      {
        errorCode: 'AsgInstanceLaunchFailures',
        errorMessage: expect.stringMatching(/^VcpuLimitExceeded: You have requested more vCPU capacity than your current vCPU limit of 33 allows/),
        resourceIds: [nodegroupAsgName('prod-eks', 'mng-a')],
      },
    ]);
  });

  it('succeeds when the scale-up fits exactly, and frees its extra instances at the scale-down', async () => {
    setup(34);
    const id = await update();
    await advance(clock!, 2 * MIN);
    // While the update surges: 34 in use, so the self-managed refresh's one extra instance does not fit.
    await refresh();
    // Three batches of launches without a Fast Launch snapshot (AMI_B was never enabled: 1 / 0.35 as long, fastlaunch.ts).
    await advance(clock!, 180 * MIN);
    expect((await updateOf(id)).status).toBe('Successful');
    const during = await refreshOf();
    expect(during?.Status).toBe('Failed');
    expect(during?.StatusReason).toContain('VcpuLimitExceeded');

    // After the scale-down: 26 + 2 fits.
    await refresh();
    // Ten one-instance batches, each launched without a snapshot.
    await advance(clock!, 600 * MIN);
    expect((await refreshOf())?.Status).toBe('Successful');
  });

  it("sees a running self-managed refresh's extra instances", async () => {
    // The refresh holds 2 vCPUs: 28 + 8 = 36 > 35.
    setup(35);
    await refresh();
    await advance(clock!, MIN);
    const id = await update();
    await advance(clock!, 60 * MIN);

    const u = await updateOf(id);
    expect(u.status).toBe('Failed');
    expect(u.errors?.[0]?.errorCode).toBe('AsgInstanceLaunchFailures');
    expect(u.errors?.[0]?.errorMessage).toContain('current vCPU limit of 35');
  });

  it('scales up by maxUnavailable when it is larger than 2 x AZs', async () => {
    // 10 + 6 instances = 32 vCPUs; maxUnavailable 6: 6 x 2 = 12 more. 44 fits, 43 does not.
    setup(43, 6, 6);
    const failed = await update();
    await advance(clock!, 60 * MIN);
    expect((await updateOf(failed)).errors?.[0]?.errorCode).toBe('AsgInstanceLaunchFailures');

    sim!.restore();
    clock!.uninstall();
    setup(44, 6, 6);
    const ok = await update();
    await advance(clock!, 60 * MIN);
    expect((await updateOf(ok)).status).toBe('Successful');
  });
});
