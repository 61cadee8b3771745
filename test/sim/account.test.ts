import { AutoScalingClient, CancelInstanceRefreshCommand, DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand, DescribeLifecycleHooksCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateVersionCommand, DescribeImagesCommand, DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { install } from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/sim/account.js';
import { FaultSchema, ScenarioFleetSchema, type Fault } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';

const OLD = 'ami-0000000000000a001';
const NEW = 'ami-0000000000000b002';
const MIN = 60_000;
const fleet = ScenarioFleetSchema.parse({
  amis: [
    { id: OLD, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.09.10' },
    // Fast Launch on since an earlier run (its 5 snapshots on hand): the refreshes' launches are fast.
    { id: NEW, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15', fastLaunch: {} },
  ],
  launchTemplates: [
    { name: 'ng-a', versions: [{ imageId: OLD, rootVolumeOverride: true }] },
    { name: 'ng-b', versions: [{ imageId: OLD }, { imageId: OLD }] },
  ],
  autoScalingGroups: [
    { name: 'ng-a', instances: 4, tags: { 'eks:nodegroup': 'win' } },
    { name: 'ng-b', version: '$Latest', mixedInstancesPolicy: true, instances: 2, terminationHook: false },
  ],
});

let clock: ReturnType<typeof install>;
let sim: { restore(): void };
const ec2 = new EC2Client({ region: 'us-west-2' });
const asg = new AutoScalingClient({ region: 'us-west-2' });

function setup(faults: unknown[] = []): SimulatedAccount {
  const account = new SimulatedAccount({ fleet, faults: faults.map((f) => FaultSchema.parse(f)) as Fault[] });
  sim = installSimulation(account);
  return account;
}

async function newVersion(lt = 'ng-a'): Promise<string> {
  const out = await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: lt, SourceVersion: '1', LaunchTemplateData: { ImageId: NEW } }));
  return String(out.LaunchTemplateVersion?.VersionNumber);
}

async function refresh(name: string, Version: string, prefs: Record<string, unknown> = {}): Promise<string> {
  const out = await asg.send(
    new StartInstanceRefreshCommand({ AutoScalingGroupName: name, DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: name, Version } }, Preferences: { MinHealthyPercentage: 50, ...prefs } }),
  );
  return out.InstanceRefreshId ?? '';
}

async function refreshStatus(name: string) {
  const out = await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name }));
  return out.InstanceRefreshes?.[0];
}

beforeEach(() => {
  clock = install({ now: Date.parse('2026-10-20T09:00:00Z'), toFake: ['Date'] });
});
afterEach(() => {
  sim.restore();
  clock.uninstall();
});

describe('launch templates', () => {
  it('creates a version that inherits everything from SourceVersion except the new ImageId', async () => {
    const account = setup();
    expect(await newVersion()).toBe('2');
    const [v1, v2] = account.launchTemplateVersions('ng-a');
    expect(v2?.data).toEqual({ ...v1?.data, ImageId: NEW });
    expect(v2?.data.UserData).toBeTypeOf('string');
    expect(v2?.default).toBe(false);
  });

  it('answers a repeated ClientToken with the same version and a changed request with IdempotentParameterMismatch', async () => {
    setup();
    const send = (ImageId: string) => ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: 'ng-a', SourceVersion: '1', ClientToken: 'run-1', LaunchTemplateData: { ImageId } }));
    const first = await send(NEW);
    const again = await send(NEW);
    expect(again.LaunchTemplateVersion?.VersionNumber).toBe(first.LaunchTemplateVersion?.VersionNumber);
    await expect(send(OLD)).rejects.toMatchObject({ name: 'IdempotentParameterMismatch', $fault: 'client' });
  });

  it('resolves $Latest and $Default and rejects unknown versions', async () => {
    setup();
    const out = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'ng-b', Versions: ['$Latest', '$Default'] }));
    expect(out.LaunchTemplateVersions?.map((v) => v.VersionNumber)).toEqual([2, 1]);
    await expect(ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'ng-b', Versions: ['9'] }))).rejects.toMatchObject({
      name: 'InvalidLaunchTemplateId.VersionNotFound',
    });
  });
});

describe('images', () => {
  it('describes Windows AMIs the way EC2 does and names bad ids', async () => {
    setup();
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [OLD] }));
    expect(out.Images?.[0]).toMatchObject({ ImageId: OLD, Platform: 'windows', PlatformDetails: 'Windows', State: 'available' });
    await expect(ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] }))).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    await expect(ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-nope'] }))).rejects.toMatchObject({ name: 'InvalidAMIID.Malformed' });
  });
});

describe('auto scaling groups', () => {
  it('puts a mixed-instances group’s template under MixedInstancesPolicy and finds groups by tag', async () => {
    setup();
    const all = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['ng-b'] }));
    expect(all.AutoScalingGroups?.[0]?.LaunchTemplate).toBeUndefined();
    expect(all.AutoScalingGroups?.[0]?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.Version).toBe('$Latest');
    const tagged = await asg.send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: 'tag:eks:nodegroup', Values: ['win'] }] }));
    expect(tagged.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['ng-a']);
    const hooks = await asg.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: 'ng-b' }));
    expect(hooks.LifecycleHooks).toEqual([]);
  });
});

describe('instance refresh', () => {
  it('replaces every instance with a new one on the new AMI and then moves the group to the new version', async () => {
    const account = setup();
    const before = account.instances('ng-a').map((i) => i.instanceId);
    const version = await newVersion();
    await refresh('ng-a', version);
    expect((await refreshStatus('ng-a'))?.Status).toBe('Pending');
    clock.tick(9 * MIN);
    const mid = await refreshStatus('ng-a');
    expect(mid).toMatchObject({ Status: 'InProgress', PercentageComplete: 50, InstancesToUpdate: 2 });
    expect(account.asg('ng-a').version).toBe('1');
    clock.tick(10 * MIN);
    expect((await refreshStatus('ng-a'))?.Status).toBe('Successful');
    expect(account.asg('ng-a')).toMatchObject({ version: '2', imageId: NEW });
    const after = account.instances('ng-a');
    expect(after.every((i) => i.imageId === NEW && i.launchTemplateVersion === '2')).toBe(true);
    expect(after.some((i) => before.includes(i.instanceId))).toBe(false);
  });

  it('rolls back to the previous version’s AMI when an injected failure meets AutoRollback', async () => {
    const account = setup([{ kind: 'refreshFailure', asgName: 'ng-a', atPercent: 50, reason: 'health checks failed' }]);
    await refresh('ng-a', await newVersion(), { AutoRollback: true });
    clock.tick(9 * MIN);
    const rolling = await refreshStatus('ng-a');
    expect(rolling?.Status).toBe('RollbackInProgress');
    // API Reference, InstanceRefresh: PercentageComplete goes back down to zero during a rollback, from where it stood.
    expect(rolling?.PercentageComplete).toBe(rolling?.RollbackDetails?.PercentageCompleteOnRollback);
    expect(rolling?.PercentageComplete).toBeGreaterThan(0);
    clock.tick(10 * MIN);
    // The rollback's launches book no Fast Launch snapshot (fastlaunch.ts): each batch takes 8 min / 0.35.
    expect((await refreshStatus('ng-a'))?.Status).toBe('RollbackInProgress');
    clock.tick(40 * MIN);
    const done = await refreshStatus('ng-a');
    expect(done).toMatchObject({ Status: 'RollbackSuccessful', StatusReason: 'health checks failed', PercentageComplete: 0 });
    expect(done?.RollbackDetails?.RollbackReason).toBe('health checks failed');
    expect(account.asg('ng-a').version).toBe('1');
    expect(account.instances('ng-a').every((i) => i.imageId === OLD)).toBe(true);
  });

  it('refuses a second refresh while one runs, including a refresh someone else started', async () => {
    setup([{ kind: 'refreshInProgress', asgName: 'ng-b', minutes: 20 }]);
    await refresh('ng-a', await newVersion());
    await expect(refresh('ng-a', '1')).rejects.toMatchObject({ name: 'InstanceRefreshInProgressFault' });
    await expect(refresh('ng-b', '2')).rejects.toMatchObject({ name: 'InstanceRefreshInProgressFault' });
    clock.tick(21 * MIN);
    await expect(refresh('ng-b', '2')).resolves.toMatch(/\S/);
  });

  it('refuses AutoRollback when the group or the desired configuration uses $Latest', async () => {
    setup();
    await expect(refresh('ng-b', '2', { AutoRollback: true })).rejects.toMatchObject({ name: 'IrreversibleInstanceRefreshFault' });
    await expect(refresh('ng-a', '$Latest', { AutoRollback: true })).rejects.toMatchObject({ name: 'IrreversibleInstanceRefreshFault' });
  });

  it('skips matching instances, pauses at checkpoints, bakes, and can be cancelled', async () => {
    const account = setup();
    await refresh('ng-b', '2', { SkipMatching: true });
    clock.tick(MIN);
    expect((await refreshStatus('ng-b'))?.Status).toBe('Successful');
    await refresh('ng-a', await newVersion(), { CheckpointPercentages: [50, 100], CheckpointDelay: 600, BakeTime: 300 });
    clock.tick(9 * MIN);
    expect(await refreshStatus('ng-a')).toMatchObject({ Status: 'InProgress', PercentageComplete: 50 });
    clock.tick(9 * MIN);
    expect(await refreshStatus('ng-a')).toMatchObject({ Status: 'InProgress', PercentageComplete: 50 });
    clock.tick(10 * MIN);
    expect((await refreshStatus('ng-a'))?.Status).toBe('Baking');
    await asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a' }));
    expect((await refreshStatus('ng-a'))?.Status).toBe('Cancelled');
    expect(account.asg('ng-a').version).toBe('1');
    await expect(asg.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a' }))).rejects.toMatchObject({ name: 'ActiveInstanceRefreshNotFoundFault' });
  });

  it('leaves state untouched when only reading, however much time passes', async () => {
    const account = setup();
    await refresh('ng-a', await newVersion());
    const before = account.snapshot();
    clock.tick(30 * MIN);
    await asg.send(new DescribeAutoScalingGroupsCommand({}));
    await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'ng-a' }));
    await ec2.send(new DescribeImagesCommand({}));
    account.instances('ng-a');
    expect(account.snapshot()).toEqual(before);
  });
});

describe('scale-in protected and Standby instances', () => {
  it('skips them under Ignore and still ends the refresh Successful', async () => {
    const account = new SimulatedAccount({
      fleet: ScenarioFleetSchema.parse({
        amis: fleet.amis,
        launchTemplates: [{ name: 'ng-p', versions: [{ imageId: OLD }] }],
        autoScalingGroups: [{ name: 'ng-p', instances: 4, protectedInstances: 1, standbyInstances: 1 }],
      }),
    });
    sim = installSimulation(account);
    const v = await newVersion('ng-p');
    await refresh('ng-p', v, { MinHealthyPercentage: 100, MaxHealthyPercentage: 110, ScaleInProtectedInstances: 'Ignore', StandbyInstances: 'Ignore' });
    clock.tick(600 * MIN);

    expect(account.asg('ng-p')).toMatchObject({ version: '2', refreshStatus: 'Successful' });
    expect(account.instances('ng-p').map((i) => i.imageId)).toEqual([OLD, OLD, NEW, NEW]);
    const described = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['ng-p'] }));
    expect(described.AutoScalingGroups?.[0]?.Instances?.map((i) => [i.ProtectedFromScaleIn, i.LifecycleState])).toEqual([[true, 'InService'], [false, 'Standby'], [false, 'InService'], [false, 'InService']]);
  });

  it('fails the refresh under the default Wait while a protected instance stays', async () => {
    const account = new SimulatedAccount({
      fleet: ScenarioFleetSchema.parse({ amis: fleet.amis, launchTemplates: [{ name: 'ng-p', versions: [{ imageId: OLD }] }], autoScalingGroups: [{ name: 'ng-p', instances: 2, protectedInstances: 1 }] }),
    });
    sim = installSimulation(account);
    const v = await newVersion('ng-p');
    await refresh('ng-p', v);
    clock.tick(600 * MIN);

    expect(account.asg('ng-p')).toMatchObject({ version: '1', refreshStatus: 'Failed' });
  });
});

describe('root volume smaller than the AMI root snapshot', () => {
  it('fails every launch of the refresh, as EC2 does, naming both sizes', async () => {
    const account = new SimulatedAccount({
      fleet: ScenarioFleetSchema.parse({ amis: fleet.amis, launchTemplates: [{ name: 'ng-r', versions: [{ imageId: OLD, rootVolumeGiB: 30 }] }], autoScalingGroups: [{ name: 'ng-r', instances: 2 }] }),
    });
    sim = installSimulation(account);
    const v = await newVersion('ng-r');
    await refresh('ng-r', v);
    clock.tick(120 * MIN);

    expect(account.asg('ng-r')).toMatchObject({ version: '1', refreshStatus: 'Failed' });
    expect((await refreshStatus('ng-r'))?.StatusReason).toMatch(/Volume of size 30 GB is smaller than snapshot .* expect size >= 50 GB/);
    expect(account.instances('ng-r').every((i) => i.imageId === OLD)).toBe(true);
  });
});
