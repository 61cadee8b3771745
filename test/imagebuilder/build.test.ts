import {
  CreateComponentCommand,
  CreateImageCommand,
  CreateImageRecipeCommand,
  ImagebuilderClient,
  type CreateComponentCommandInput,
  type CreateImageCommandInput,
  type CreateImageRecipeCommandInput,
} from '@aws-sdk/client-imagebuilder';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderCacheComponent } from '../../lib/imagebuilder/component.js';
import { buildNames, ownArn, partitionOf, startImageBuild, updateWindowsArn, type BuildRequest } from '../../lib/imagebuilder/build.js';
import type { VariantPlan } from '../../lib/plan/types.js';

const ib = mockClient(ImagebuilderClient);
const SOURCE_AMI = 'ami-0a2022c0000000001';
const INFRA = 'arn:aws:imagebuilder:us-west-2:111122223333:infrastructure-configuration/prod-windows-patch';
const IMAGES = ['mcr.microsoft.com/windows/servercore:ltsc2022', '123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app:1.2.3-ltsc2022'];
const COMPONENT_ARN = 'arn:aws:imagebuilder:us-west-2:111122223333:component/prod-win2022-core-131-image-cache/2026.1115.1/1';
const RECIPE_ARN = 'arn:aws:imagebuilder:us-west-2:111122223333:image-recipe/prod-win2022-core-131-patched/2026.1115.1';
const IMAGE_ARN = 'arn:aws:imagebuilder:us-west-2:111122223333:image/prod-win2022-core-131-patched/2026.1115.1/1';

function variant(over: Partial<VariantPlan> = {}): VariantPlan {
  return {
    id: 'win2022-core-131',
    windows: '2022',
    edition: 'Core',
    kubernetes: '1.31',
    sourceParameter: '/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id',
    sourceAmi: SOURCE_AMI,
    lastBuiltSourceAmi: null,
    amiId: null,
    stages: { build: true, fastLaunch: true, rollout: true },
    images: IMAGES,
    imagesDigest: '0123456789abcdef',
    waves: [],
    warnings: [],
    childName: 'run-1-win2022-core-131',
    ...over,
  };
}

function request(over: { executionName?: string; variant?: Partial<VariantPlan> } = {}): BuildRequest {
  return {
    run: { executionName: over.executionName ?? 'release-2026-11-15-a1b2', startTime: '2026-11-15T09:00:00.000Z', reason: 'test' },
    variant: variant(over.variant),
    stage: 'prod',
    region: 'us-west-2',
    infrastructureConfigurationArn: INFRA,
    rootVolumeGiB: 150,
  };
}

const inputsOf = <T>(command: Parameters<typeof ib.commandCalls>[0]) => ib.commandCalls(command).map((c) => c.args[0].input as T);

beforeEach(() => {
  ib.reset();
  ib.on(CreateComponentCommand).resolves({ componentBuildVersionArn: COMPONENT_ARN });
  ib.on(CreateImageRecipeCommand).resolves({ imageRecipeArn: RECIPE_ARN });
  ib.on(CreateImageCommand).resolves({ imageBuildVersionArn: IMAGE_ARN });
});
afterEach(() => ib.reset());

describe('startImageBuild', () => {
  it('creates the cache component from the variant images: name, version, Windows, the rendered YAML', async () => {
    const req = request();
    const names = buildNames(req);

    await startImageBuild(req);

    const [component] = inputsOf<CreateComponentCommandInput>(CreateComponentCommand);
    expect(component).toMatchObject({
      name: 'prod-win2022-core-131-image-cache',
      semanticVersion: names.version,
      platform: 'Windows',
      data: renderCacheComponent({ images: IMAGES }),
      clientToken: names.token('component'),
    });
    expect(component?.data).toContain('-n k8s.io images pull');
  });

  it('creates a recipe on the resolved source AMI with update-windows, then the cache component, and the configured root volume', async () => {
    const req = request();
    const names = buildNames(req);

    await startImageBuild(req);

    const [recipe] = inputsOf<CreateImageRecipeCommandInput>(CreateImageRecipeCommand);
    expect(recipe).toMatchObject({
      name: 'prod-win2022-core-131-patched',
      semanticVersion: names.version,
      parentImage: SOURCE_AMI,
      components: [{ componentArn: 'arn:aws:imagebuilder:us-west-2:aws:component/update-windows/x.x.x' }, { componentArn: COMPONENT_ARN }],
      blockDeviceMappings: [{ deviceName: '/dev/sda1', ebs: { volumeSize: 150, volumeType: 'gp3', deleteOnTermination: true } }],
      clientToken: names.token('recipe'),
    });
  });

  it('starts the image from that recipe in the stack infrastructure configuration and returns the build ARN', async () => {
    const req = request();

    const started = await startImageBuild(req);

    const [image] = inputsOf<CreateImageCommandInput>(CreateImageCommand);
    expect(image).toMatchObject({ imageRecipeArn: RECIPE_ARN, infrastructureConfigurationArn: INFRA, clientToken: buildNames(req).token('image') });
    expect(image?.tags?.['source-ami']).toBe(SOURCE_AMI);
    expect(started).toMatchObject({ imageBuildVersionArn: IMAGE_ARN, recipeName: 'prod-win2022-core-131-patched', semanticVersion: buildNames(req).version });
  });

  it('leaves the cache component out when the variant caches no images', async () => {
    await startImageBuild(request({ variant: { images: [] } }));

    expect(ib.commandCalls(CreateComponentCommand)).toHaveLength(0);
    const [recipe] = inputsOf<CreateImageRecipeCommandInput>(CreateImageRecipeCommand);
    expect(recipe?.components).toEqual([{ componentArn: updateWindowsArn('us-west-2') }]);
  });

  it('sends the same names, versions and client tokens when the same execution retries the step', async () => {
    await startImageBuild(request());
    await startImageBuild(request());

    for (const command of [CreateComponentCommand, CreateImageRecipeCommand, CreateImageCommand]) {
      const [first, retry] = inputsOf<Record<string, unknown>>(command);
      expect(retry).toEqual(first);
    }
  });

  it('gives a new execution a new version and new tokens, under the same names', async () => {
    await startImageBuild(request({ executionName: 'release-2026-11-15-a1b2' }));
    await startImageBuild(request({ executionName: 'manual-2026-11-15-c3d4' }));

    const [first, next] = inputsOf<CreateImageRecipeCommandInput>(CreateImageRecipeCommand);
    expect(next?.name).toBe(first?.name);
    expect(next?.semanticVersion).not.toBe(first?.semanticVersion);
    expect(next?.clientToken).not.toBe(first?.clientToken);
    const [firstImage, nextImage] = inputsOf<CreateImageCommandInput>(CreateImageCommand);
    expect(nextImage?.clientToken).not.toBe(firstImage?.clientToken);
  });

  it('keeps client tokens within Image Builder limit of 36 characters and versions within 2^30-1 per part', () => {
    const names = buildNames(request());

    for (const what of ['component', 'recipe', 'image']) expect(names.token(what).length).toBeLessThanOrEqual(36);
    expect(names.version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const part of names.version.split('.')) expect(Number(part)).toBeLessThanOrEqual(1_073_741_823);
  });

  it('reuses its own component and recipe when a late redrive finds their name and version taken', async () => {
    const taken = Object.assign(new Error('already exists'), { name: 'ResourceAlreadyExistsException' });
    ib.on(CreateComponentCommand).rejects(taken);
    ib.on(CreateImageRecipeCommand).rejects(taken);
    const req = request();
    const { version } = buildNames(req);

    await startImageBuild(req);

    const [recipe] = inputsOf<CreateImageRecipeCommandInput>(CreateImageRecipeCommand);
    expect(recipe?.components?.[1]?.componentArn).toBe(ownArn(INFRA, 'component', 'prod-win2022-core-131-image-cache', version));
    expect(inputsOf<CreateImageCommandInput>(CreateImageCommand)[0]?.imageRecipeArn).toBe(
      `arn:aws:imagebuilder:us-west-2:111122223333:image-recipe/prod-win2022-core-131-patched/${version}`,
    );
  });

  it('lets any other Image Builder error through', async () => {
    ib.on(CreateImageRecipeCommand).rejects(Object.assign(new Error('bad parent'), { name: 'InvalidParameterValueException' }));

    await expect(startImageBuild(request())).rejects.toThrow('bad parent');
    expect(ib.commandCalls(CreateImageCommand)).toHaveLength(0);
  });
});

describe('Amazon component ARNs', () => {
  it('use the partition of the region', () => {
    expect([partitionOf('us-west-2'), partitionOf('us-gov-west-1'), partitionOf('cn-north-1')]).toEqual(['aws', 'aws-us-gov', 'aws-cn']);
    expect(updateWindowsArn('us-gov-west-1')).toBe('arn:aws-us-gov:imagebuilder:us-gov-west-1:aws:component/update-windows/x.x.x');
  });
});
