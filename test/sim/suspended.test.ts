import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand, DescribeWarmPoolCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateVersionCommand, DescribeImagesCommand, DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { install } from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/sim/account.js';
import { ScenarioFleetSchema } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';

const OLD = 'ami-0000000000000a001';
const NEW = 'ami-0000000000000b002';
const OTHER = 'ami-0000000000000c003';
const fleet = ScenarioFleetSchema.parse({
  amis: [
    { id: OLD, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.09.10' },
    { id: NEW, name: 'win2022-patched' },
    { id: OTHER, name: 'someone-elses', owner: '444455556666' },
  ],
  launchTemplates: [
    { name: 'ng-stuck', versions: [{ imageId: OLD, rootVolumeGiB: 80 }] },
    { name: 'ng-warm', versions: [{ imageId: OLD }] },
  ],
  autoScalingGroups: [
    { name: 'ng-stuck', instances: 2, suspendedProcesses: ['Launch'] },
    { name: 'ng-warm', instances: 2, warmPool: true },
  ],
});

let clock: ReturnType<typeof install>;
let sim: { restore(): void };
const ec2 = new EC2Client({ region: 'us-west-2' });
const asg = new AutoScalingClient({ region: 'us-west-2' });

beforeEach(() => {
  clock = install({ now: Date.parse('2026-10-20T09:00:00Z'), toFake: ['Date'] });
  sim = installSimulation(new SimulatedAccount({ fleet, faults: [] }));
});
afterEach(() => {
  sim.restore();
  clock.uninstall();
});

describe('suspended processes and warm pools in the simulated account', () => {
  it('renders SuspendedProcesses and a warm pool as DescribeAutoScalingGroups and DescribeWarmPool do', async () => {
    const out = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['ng-stuck', 'ng-warm'] }));
    const [stuck, warm] = out.AutoScalingGroups ?? [];
    expect(stuck?.SuspendedProcesses?.map((p) => p.ProcessName)).toEqual(['Launch']);
    expect(stuck?.WarmPoolConfiguration).toBeUndefined();
    expect(warm?.WarmPoolConfiguration).toMatchObject({ PoolState: 'Stopped' });
    expect((await asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: 'ng-warm' }))).WarmPoolConfiguration).toBeDefined();
    expect((await asg.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: 'ng-stuck' }))).WarmPoolConfiguration).toBeUndefined();
  });

  it('accepts a refresh of a group with Launch suspended and then replaces no instance, hours later', async () => {
    const v = await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: 'ng-stuck', SourceVersion: '1', LaunchTemplateData: { ImageId: NEW } }));
    await asg.send(
      new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-stuck', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-stuck', Version: String(v.LaunchTemplateVersion?.VersionNumber) } } }),
    );
    clock.tick(6 * 3600_000);

    const refresh = (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'ng-stuck' }))).InstanceRefreshes?.[0];
    expect(refresh?.Status).toBe('InProgress');
    const group = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['ng-stuck'] }))).AutoScalingGroups?.[0];
    expect(group?.Instances?.map((i) => i.LaunchTemplate?.Version)).toEqual(['1', '1']);
  });

  it('renders an AMI owner and the root volume of a launch template version', async () => {
    const images = (await ec2.send(new DescribeImagesCommand({ ImageIds: [OLD, NEW, OTHER] }))).Images ?? [];
    expect(images.map((i) => [i.OwnerId, i.ImageOwnerAlias])).toEqual([
      ['801119661308', 'amazon'],
      ['111122223333', undefined],
      ['444455556666', undefined],
    ]);
    const version = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'ng-stuck', Versions: ['1'] }))).LaunchTemplateVersions?.[0];
    expect(version?.LaunchTemplateData?.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 80, VolumeType: 'gp3', DeleteOnTermination: true } }]);
  });
});
