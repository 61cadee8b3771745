import { CreateComponentCommand, CreateImageCommand, CreateImageRecipeCommand } from '@aws-sdk/client-imagebuilder';
import { imageBuilder } from '../aws/clients.js';
import { withRetries } from '../aws/retry.js';
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

/** Amazon's component that installs every pending Windows update. */
export function updateWindowsArn(region: string): string {
  return `arn:aws:imagebuilder:${region}:aws:component/update-windows/x.x.x`;
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

export async function startImageBuild(req: BuildRequest): Promise<BuildStarted> {
  const names = buildNames(req);
  const components = [{ componentArn: updateWindowsArn(req.region) }];
  if (req.variant.images.length) {
    const component = await withRetries(() =>
      imageBuilder.send(
        new CreateComponentCommand({
          name: names.componentName,
          semanticVersion: names.version,
          platform: 'Windows',
          description: `Pre-pulls ${req.variant.images.length} container image(s) into containerd's k8s.io namespace (images digest ${req.variant.imagesDigest})`,
          data: renderCacheComponent({ images: req.variant.images, region: req.region }),
          clientToken: names.token('component'),
          tags: { variant: req.variant.id, execution: req.run.executionName },
        }),
      ),
    );
    components.push({ componentArn: component.componentBuildVersionArn as string });
  }
  const recipe = await withRetries(() =>
    imageBuilder.send(
      new CreateImageRecipeCommand({
        name: names.recipeName,
        semanticVersion: names.version,
        description: `${req.variant.id} from ${req.variant.sourceAmi}, execution ${req.run.executionName}`,
        parentImage: req.variant.sourceAmi,
        components,
        blockDeviceMappings: [{ deviceName: '/dev/sda1', ebs: { volumeSize: req.rootVolumeGiB, volumeType: 'gp3', deleteOnTermination: true } }],
        clientToken: names.token('recipe'),
        tags: { variant: req.variant.id, execution: req.run.executionName },
      }),
    ),
  );
  const image = await withRetries(() =>
    imageBuilder.send(
      new CreateImageCommand({
        imageRecipeArn: recipe.imageRecipeArn,
        infrastructureConfigurationArn: req.infrastructureConfigurationArn,
        clientToken: names.token('image'),
        imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: 60 },
        tags: { variant: req.variant.id, execution: req.run.executionName, 'source-ami': req.variant.sourceAmi },
      }),
    ),
  );
  return { imageBuildVersionArn: image.imageBuildVersionArn as string, recipeName: names.recipeName, semanticVersion: names.version, startedAt: new Date().toISOString() };
}
