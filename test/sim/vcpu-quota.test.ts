import { AutoScalingClient, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { install } from '@sinonjs/fake-timers';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/sim/account.js';
import { ScenarioFleetSchema } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';

const AMI = 'ami-0000000000000a001';
const T0 = Date.parse('2026-10-20T09:00:00Z');
const fleetWith = (extra: Record<string, unknown>) =>
  ScenarioFleetSchema.parse({
    amis: [{ id: AMI, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.09.10' }],
    launchTemplates: ['ng-a', 'ng-b'].map((name) => ({ name, versions: [{ imageId: AMI }, { imageId: AMI }] })),
    autoScalingGroups: [
      { name: 'ng-a', launchTemplate: 'ng-a', instances: 10 },
      { name: 'ng-b', launchTemplate: 'ng-b', instances: 10 },
    ],
    ...extra,
  });

let clock: ReturnType<typeof install> | undefined;
let sim: { restore(): void } | undefined;
const asg = new AutoScalingClient({ region: 'us-west-2' });
const quotas = new ServiceQuotasClient({ region: 'us-west-2' });
const setup = (extra: Record<string, unknown>) => {
  clock = install({ now: T0, toFake: ['Date'] });
  sim = installSimulation(new SimulatedAccount({ fleet: fleetWith(extra), faults: [], durations: { instanceLaunch: 8 } }));
};
const start = (name: string, maxHealthy: number) =>
  asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: name, DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: name, Version: '2' } }, Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: maxHealthy, SkipMatching: true } }));
const refreshOf = async (name: string) => (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name }))).InstanceRefreshes?.[0];

afterEach(() => {
  sim?.restore();
  clock?.uninstall();
});

describe('the On-Demand vCPU quota L-1216C47A', () => {
  // 20 instances x 2 vCPUs = 40 in use; quota 60 leaves room for 10 extra instances.
  it('fails a surge refresh whose extra instances exceed the quota with VcpuLimitExceeded', async () => {
    setup({ onDemandVcpuQuota: 60 });
    await start('ng-a', 200); // 10 extra: 40 + 20 = 60, fits
    await start('ng-b', 150); // 5 more: 60 + 10 = 70 > 60
    clock!.tick(3600_000);

    expect((await refreshOf('ng-a'))?.Status).toBe('Successful');
    const b = await refreshOf('ng-b');
    expect(b?.Status).toBe('Failed');
    expect(b?.StatusReason).toContain('VcpuLimitExceeded');
    expect(b?.StatusReason).toContain('current vCPU limit of 60');
  });

  it('frees the extra instances once a surge refresh ends', async () => {
    setup({ onDemandVcpuQuota: 60 });
    await start('ng-a', 200);
    clock!.tick(3600_000);
    expect((await refreshOf('ng-a'))?.Status).toBe('Successful');
    await start('ng-b', 200); // ng-a's 10 extra instances are gone: 40 + 20 = 60 fits
    clock!.tick(3600_000);
    expect((await refreshOf('ng-b'))?.Status).toBe('Successful');
  });

  it('with no headroom: a refresh at MaxHealthyPercentage 100 (terminate first) succeeds, any surge fails', async () => {
    setup({ onDemandVcpuQuota: 40 });
    await start('ng-a', 100);
    await start('ng-b', 110); // 1 extra: 42 > 40
    // Ten batches of one, each a launch without Fast Launch (never enabled: 8 min / 0.35).
    clock!.tick(5 * 3600_000);
    expect((await refreshOf('ng-a'))?.Status).toBe('Successful');
    expect((await refreshOf('ng-b'))?.Status).toBe('Failed');
  });

  it('answers GetServiceQuota with the scenario value, NoSuchResourceException for another code, AccessDeniedException when denied', async () => {
    setup({ onDemandVcpuQuota: 60 });
    const q = await quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' }));
    expect(q.Quota?.Value).toBe(60);
    await expect(quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-0000000' }))).rejects.toMatchObject({ name: 'NoSuchResourceException' });
    sim!.restore();
    clock!.uninstall();
    setup({ serviceQuotasAccessDenied: true });
    await expect(quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
