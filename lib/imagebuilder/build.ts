import { CreateComponentCommand, CreateImageCommand, CreateImageRecipeCommand } from '@aws-sdk/client-imagebuilder';
import { imageBuilder } from '../aws/image-builder.js';
import { withRetries } from '../aws/retry.js';
import { ImageBuildFailedError } from '../errors.js';
import { clientToken, semanticVersion } from '../names.js';
import type { VariantRun } from '../plan/types.js';
import { renderCacheComponent } from './component.js';

export interface BuildRequest extends VariantRun {
  stage: string;
  region: string;
  infrastructureConfigurationArn: string;
  rootVolumeGiB: number;
}

export interface BuildStarted {
  imageBuildVersionArn: string;
  recipeName: string;
  semanticVersion: string;
  startedAt: string;
}

/** GovCloud and China have their own partitions; Amazon's components live there under that partition. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Amazon's component that installs every pending Windows update. */
export function updateWindowsArn(region: string): string {
  return `arn:${partitionOf(region)}:imagebuilder:${region}:aws:component/update-windows/x.x.x`;
}

/**
 * The component, recipe and image of one variant in one run. Names carry the stage
 * and variant; the version and client tokens derive from the execution, so a retried
 * step gets back what it made (same token, same parameters) and the next run gets a
 * new version instead of ResourceAlreadyExistsException.
 */
export function buildNames(req: Pick<BuildRequest, 'stage' | 'run' | 'variant'>) {
  const base = `${req.stage}-${req.variant.id}`;
  const version = semanticVersion(req.run.startTime, req.run.executionName);
  const token = (what: string) => clientToken(what, req.run.executionName, req.variant.id);
  return { componentName: `${base}-image-cache`, recipeName: `${base}-patched`, version, token };
}

/**
 * Where Image Builder puts a resource of ours: ARNs lowercase the name, and our
 * account and partition are those of the infrastructure configuration.
 */
export function ownArn(infrastructureConfigurationArn: string, kind: 'component' | 'image-recipe', name: string, version: string): string {
  const [arn, partition, service, region, account] = infrastructureConfigurationArn.split(':');
  const path = kind === 'component' ? `${name.toLowerCase()}/${version}/1` : `${name.toLowerCase()}/${version}`;
  return [arn, partition, service, region, account, `${kind}/${path}`].join(':');
}

/**
 * A client token is remembered only for a while: a step redriven later finds its
 * name+version taken (ResourceAlreadyExistsException). That resource is the one
 * this execution made (the version is the execution's own), so use it.
 */
async function createOrReuse(create: () => Promise<string | undefined>, existingArn: string): Promise<string> {
  try {
    const arn = await withRetries(create);
    if (!arn) throw new ImageBuildFailedError(`Image Builder returned no ARN for ${existingArn}`);
    return arn;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceAlreadyExistsException') return existingArn;
    throw error;
  }
}

export async function startImageBuild(req: BuildRequest): Promise<BuildStarted> {
  const names = buildNames(req);
  const tags = { variant: req.variant.id, execution: req.run.executionName };
  const components = [{ componentArn: updateWindowsArn(req.region) }];
  if (req.variant.images.length) {
    const data = renderCacheComponent({ images: req.variant.images });
    const componentArn = await createOrReuse(
      async () =>
        (
          await imageBuilder.send(
            new CreateComponentCommand({
              name: names.componentName,
              semanticVersion: names.version,
              platform: 'Windows',
              description: `Pre-pulls ${req.variant.images.length} container image(s) into containerd's k8s.io namespace (images digest ${req.variant.imagesDigest})`,
              data,
              clientToken: names.token('component'),
              tags,
            }),
          )
        ).componentBuildVersionArn,
      ownArn(req.infrastructureConfigurationArn, 'component', names.componentName, names.version),
    );
    components.push({ componentArn });
  }
  const imageRecipeArn = await createOrReuse(
    async () =>
      (
        await imageBuilder.send(
          new CreateImageRecipeCommand({
            name: names.recipeName,
            semanticVersion: names.version,
            description: `${req.variant.id} from ${req.variant.sourceAmi}, execution ${req.run.executionName}`,
            parentImage: req.variant.sourceAmi,
            components,
            // Windows AMIs boot from /dev/sda1; the cached images need room beyond the stock 30-50 GiB.
            blockDeviceMappings: [{ deviceName: '/dev/sda1', ebs: { volumeSize: req.rootVolumeGiB, volumeType: 'gp3', deleteOnTermination: true } }],
            clientToken: names.token('recipe'),
            tags,
          }),
        )
      ).imageRecipeArn,
    ownArn(req.infrastructureConfigurationArn, 'image-recipe', names.recipeName, names.version),
  );
  const image = await withRetries(() =>
    imageBuilder.send(
      new CreateImageCommand({
        imageRecipeArn,
        infrastructureConfigurationArn: req.infrastructureConfigurationArn,
        clientToken: names.token('image'),
        imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: 60 },
        tags: { ...tags, 'source-ami': req.variant.sourceAmi },
      }),
    ),
  );
  if (!image.imageBuildVersionArn) throw new ImageBuildFailedError(`CreateImage returned no image ARN for recipe ${imageRecipeArn}`);
  return { imageBuildVersionArn: image.imageBuildVersionArn, recipeName: names.recipeName, semanticVersion: names.version, startedAt: new Date().toISOString() };
}
