import { AutoScalingClient, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { install } from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/sim/account.js';
import { ScenarioFleetSchema } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';

const AMI = 'ami-0000000000000a001';
const fleet = ScenarioFleetSchema.parse({
  amis: [{ id: AMI, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.09.10' }],
  launchTemplates: [{ name: 'ng-a', versions: [{ imageId: AMI }, { imageId: AMI }] }],
  autoScalingGroups: [{ name: 'ng-a', instances: 2 }],
});

let clock: ReturnType<typeof install>;
let sim: { restore(): void };
const asg = new AutoScalingClient({ region: 'us-west-2' });
const start = (Preferences: Record<string, unknown>) =>
  asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-a', Version: '2' } }, Preferences }));

beforeEach(() => {
  clock = install({ now: Date.parse('2026-10-20T09:00:00Z'), toFake: ['Date'] });
  sim = installSimulation(new SimulatedAccount({ fleet, faults: [] }));
});
afterEach(() => {
  sim.restore();
  clock.uninstall();
});

describe('StartInstanceRefresh preferences (RefreshPreferences)', () => {
  it.each([
    [{ CheckpointDelay: 600 }, /CheckpointDelay needs CheckpointPercentages/],
    [{ CheckpointPercentages: [50, 100], CheckpointDelay: 172_801 }, /CheckpointDelay must be 0 to 172800/],
    [{ BakeTime: -1 }, /BakeTime must be 0 to 172800/],
    [{ ScaleInProtectedInstances: 'Skip' }, /ScaleInProtectedInstances must be one of Refresh, Ignore, Wait/],
    [{ StandbyInstances: 'Refresh' }, /StandbyInstances must be one of Terminate, Ignore, Wait/],
  ])('refuses %j as AWS does, and starts no refresh', async (prefs, message) => {
    await expect(start(prefs)).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(message) });
    const out = await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'ng-a' }));
    expect(out.InstanceRefreshes).toEqual([]);
  });

  it("reports the API's defaults for what was not sent: Wait for protected and Standby instances", async () => {
    await start({ MinHealthyPercentage: 100, MaxHealthyPercentage: 110 });
    const out = await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'ng-a' }));
    expect(out.InstanceRefreshes?.[0]?.Preferences).toMatchObject({ ScaleInProtectedInstances: 'Wait', StandbyInstances: 'Wait', SkipMatching: false, AutoRollback: false });
  });
});
