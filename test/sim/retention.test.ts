import { CreateLaunchTemplateVersionCommand, DeleteLaunchTemplateVersionsCommand, DeleteSnapshotCommand, DeregisterImageCommand, DescribeImagesCommand, DisableFastLaunchCommand, EC2Client, EnableFastLaunchCommand } from '@aws-sdk/client-ec2';
import { CreateComponentCommand, CreateImageCommand, CreateImageRecipeCommand, DeleteComponentCommand, DeleteImageCommand, DeleteImageRecipeCommand, GetImageCommand, ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { install } from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/sim/account.js';
import { ScenarioFleetSchema } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';

const PARENT = 'ami-0000000000000a001';
const PARAM = '/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id';
const MIN = 60_000;
const fleet = ScenarioFleetSchema.parse({
  amis: [{ id: PARENT, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15' }],
  ssmParameters: { [PARAM]: PARENT },
  launchTemplates: [
    { name: 'fast-launch', versions: [{ imageId: PARENT, userData: false }] },
    { name: 'ng-a', versions: [{ imageId: PARENT }, { imageId: PARENT }, { imageId: PARENT }], defaultVersion: 2 },
  ],
});
const region = 'us-west-2';
const ib = new ImagebuilderClient({ region });
const ec2 = new EC2Client({ region });
const COMPONENT = 'schemaVersion: 1.0\nphases:\n  - name: build\n    steps:\n      - name: Pull\n        action: ExecutePowerShell\n        inputs:\n          commands: ["ctr -n k8s.io images pull x"]\n';

let clock: ReturnType<typeof install>;
let sim: { restore(): void };
beforeEach(() => {
  clock = install({ now: Date.parse('2026-10-20T09:00:00Z'), toFake: ['Date'] });
  sim = installSimulation(new SimulatedAccount({ fleet, durations: { imageBuild: 100 } }));
});
afterEach(() => {
  sim.restore();
  clock.uninstall();
});

/** A finished build with a 120 GiB root volume: its component, recipe, image and AMI. */
async function built() {
  const c = await ib.send(new CreateComponentCommand({ name: 'cache-images', semanticVersion: '1.0.0', platform: 'Windows', data: COMPONENT }));
  const r = await ib.send(
    new CreateImageRecipeCommand({
      name: 'win-2022-core',
      semanticVersion: '1.0.0',
      parentImage: `ssm:${PARAM}`,
      components: [{ componentArn: c.componentBuildVersionArn }],
      blockDeviceMappings: [{ deviceName: '/dev/sda1', ebs: { volumeSize: 120 } }],
    }),
  );
  const img = await ib.send(new CreateImageCommand({ imageRecipeArn: r.imageRecipeArn, infrastructureConfigurationArn: 'arn:aws:imagebuilder:us-west-2:111122223333:infrastructure-configuration/x' }));
  clock.tick(101 * MIN);
  const out = await ib.send(new GetImageCommand({ imageBuildVersionArn: img.imageBuildVersionArn }));
  const amiId = out.image?.outputResources?.amis?.[0]?.image as string;
  return { component: c.componentBuildVersionArn as string, recipe: r.imageRecipeArn as string, image: img.imageBuildVersionArn as string, amiId };
}

describe('deregistration and snapshots', () => {
  it('gives a built AMI a root snapshot of the recipe\'s size and Image Builder\'s tags', async () => {
    const b = await built();
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [b.amiId] }))).Images?.[0];
    expect(image?.BlockDeviceMappings?.[0]?.Ebs).toMatchObject({ SnapshotId: `snap-${b.amiId.slice(4)}`, VolumeSize: 120 });
    expect(image?.Tags).toContainEqual({ Key: 'Ec2ImageBuilderArn', Value: b.image });
  });

  it('refuses to delete the snapshot of a registered AMI, and to deregister one whose Fast Launch is on or still turning off', async () => {
    const b = await built();
    const snap = `snap-${b.amiId.slice(4)}`;
    await expect(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap }))).rejects.toMatchObject({ name: 'InvalidSnapshot.InUse' });
    await ec2.send(new EnableFastLaunchCommand({ ImageId: b.amiId, MaxParallelLaunches: 6, LaunchTemplate: { LaunchTemplateName: 'fast-launch', Version: '1' } }));
    await expect(ec2.send(new DeregisterImageCommand({ ImageId: b.amiId }))).rejects.toMatchObject({ name: 'IncorrectState' });
    await ec2.send(new DisableFastLaunchCommand({ ImageId: b.amiId }));
    await expect(ec2.send(new DeregisterImageCommand({ ImageId: b.amiId }))).rejects.toMatchObject({ name: 'IncorrectState' });

    clock.tick(6 * MIN);
    await ec2.send(new DeregisterImageCommand({ ImageId: b.amiId }));
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap }));

    await expect(ec2.send(new DescribeImagesCommand({ ImageIds: [b.amiId] }))).rejects.toMatchObject({ name: 'InvalidAMIID.Unavailable' });
    await expect(ec2.send(new DeregisterImageCommand({ ImageId: b.amiId }))).rejects.toMatchObject({ name: 'InvalidAMIID.Unavailable' });
    await expect(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap }))).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
  });

  it('refuses to deregister an AMI the account does not own', async () => {
    await expect(ec2.send(new DeregisterImageCommand({ ImageId: PARENT }))).rejects.toMatchObject({ name: 'AuthFailure' });
  });
});

describe('Image Builder deletions', () => {
  it('refuses a recipe an image still uses and a component a recipe still lists (ResourceDependencyException); deleting the image leaves its AMI', async () => {
    const b = await built();
    await expect(ib.send(new DeleteImageRecipeCommand({ imageRecipeArn: b.recipe }))).rejects.toMatchObject({ name: 'ResourceDependencyException' });
    await expect(ib.send(new DeleteComponentCommand({ componentBuildVersionArn: b.component }))).rejects.toMatchObject({ name: 'ResourceDependencyException' });

    await ib.send(new DeleteImageCommand({ imageBuildVersionArn: b.image }));
    await ib.send(new DeleteImageRecipeCommand({ imageRecipeArn: b.recipe }));
    await ib.send(new DeleteComponentCommand({ componentBuildVersionArn: b.component }));

    expect((await ec2.send(new DescribeImagesCommand({ ImageIds: [b.amiId] }))).Images).toHaveLength(1);
    await expect(ib.send(new GetImageCommand({ imageBuildVersionArn: b.image }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(ib.send(new DeleteImageRecipeCommand({ imageRecipeArn: b.recipe }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('DeleteLaunchTemplateVersions', () => {
  it('deletes the versions given, refuses the default and unknown ones per version, and never reuses a number', async () => {
    const out = await ec2.send(new DeleteLaunchTemplateVersionsCommand({ LaunchTemplateName: 'ng-a', Versions: ['1', '2', '3', '9'] }));
    expect(out.SuccessfullyDeletedLaunchTemplateVersions?.map((v) => v.VersionNumber)).toEqual([1, 3]);
    expect(out.UnsuccessfullyDeletedLaunchTemplateVersions?.map((v) => [v.VersionNumber, v.ResponseError?.Code])).toEqual([
      [2, 'unexpectedError'],
      [9, 'launchTemplateVersionDoesNotExist'],
    ]);
    const next = await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: 'ng-a', SourceVersion: '2', LaunchTemplateData: { ImageId: PARENT } }));
    expect(next.LaunchTemplateVersion?.VersionNumber).toBe(4);
  });
});
