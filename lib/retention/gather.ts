import { DescribeAutoScalingGroupsCommand, type AutoScalingGroup, type LaunchTemplateSpecification } from '@aws-sdk/client-auto-scaling';
import { DescribeFastLaunchImagesCommand, DescribeImagesCommand, DescribeLaunchTemplateVersionsCommand, type LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import {
  GetImageRecipeCommand,
  ListComponentBuildVersionsCommand,
  ListComponentsCommand,
  ListImageBuildVersionsCommand,
  ListImageRecipesCommand,
  ListImagesCommand,
} from '@aws-sdk/client-imagebuilder';
import { autoScaling } from '../aws/auto-scaling.js';
import { ec2 } from '../aws/ec2.js';
import { imageBuilder } from '../aws/image-builder.js';
import { withRetries } from '../aws/retry.js';
import { readParameters } from '../parameters.js';
import { chunk, mapLimit } from '../util.js';
import type { BuiltImage, ComponentFacts, LtVersionFacts, RecipeFacts, RetentionFacts } from './decide.js';

/** The read-only calls retention makes. Nothing here writes. */

export interface RetentionScope {
  stage: string;
  variantId: string;
  keepImages: number;
  /** `/eks-windows-patch/<stage>`: the variant's AMI parameter is `<prefix>/<variant>/image_id`. */
  parameterPrefix: string;
  /** The stack's dedicated Fast Launch template: Fast Launch with it is ours to turn off. */
  fastLaunchTemplateId: string;
}

/** Launch template versions the pipeline creates start so (lib/rollout/launch-templates.ts). */
export const OUR_VERSION_PREFIX = 'eks-windows-patch ';

/** The names lib/imagebuilder/build.ts gives a variant's recipe and cache component. */
export const imageBuilderNames = (stage: string, variantId: string) => ({ recipeName: `${stage}-${variantId}-patched`, componentName: `${stage}-${variantId}-image-cache` });

const namesOf = (names: string[]) => (names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`);

export async function gatherRetentionFacts(scope: RetentionScope): Promise<RetentionFacts> {
  const { recipeName, componentName } = imageBuilderNames(scope.stage, scope.variantId);
  const images = await describeAmis(await builtImages(recipeName), scope.fastLaunchTemplateId);
  const recipes = await ownRecipes(recipeName);
  const components = await ownComponents(componentName);
  const usage = await launchTemplateUsage();
  const references: Record<string, string[]> = {};
  const add = (amiId: string | undefined, why: string) => {
    if (amiId) (references[amiId] ??= []).push(why);
  };
  for (const [amiId, groups] of usage.launchedBy) add(amiId, `a launch template version in use by ${groups.length === 1 ? 'node group' : `${groups.length} node groups`} ${namesOf(groups)}`);
  for (const [amiId, groups] of usage.runningOn) add(amiId, `instances of ${namesOf(groups)} run it`);
  for (const [amiId, groups] of usage.rollbackOf) add(amiId, `rollback target of ${namesOf(groups)} (the version each ran before)`);
  const parameter = `${scope.parameterPrefix}/${scope.variantId}/image_id`;
  add((await readParameters([parameter])).get(parameter), `the AMI parameter ${parameter} (Karpenter and node group templates follow it)`);
  return {
    variantId: scope.variantId,
    keepImages: scope.keepImages,
    images,
    recipes,
    components,
    versions: usage.versions,
    versionsInUse: usage.versionsInUse,
    references,
  };
}

async function pages<T>(call: (nextToken: string | undefined) => Promise<{ items: T[]; nextToken?: string | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await withRetries(() => call(token));
    out.push(...page.items);
    token = page.nextToken;
  } while (token);
  return out;
}

type Build = Omit<BuiltImage, 'registered' | 'snapshots' | 'fastLaunch'>;

/** Every build of the variant's recipe (all versions): Image Builder's own record of which AMIs are ours. */
async function builtImages(recipeName: string): Promise<Build[]> {
  const versions = await pages(async (nextToken) => {
    const out = await imageBuilder.send(new ListImagesCommand({ owner: 'Self', filters: [{ name: 'name', values: [recipeName] }], ...(nextToken ? { nextToken } : {}) }));
    return { items: out.imageVersionList ?? [], nextToken: out.nextToken };
  });
  const builds = await mapLimit(versions, 4, async (v) =>
    pages(async (nextToken) => {
      const out = await imageBuilder.send(new ListImageBuildVersionsCommand({ imageVersionArn: v.arn, ...(nextToken ? { nextToken } : {}) }));
      return { items: out.imageSummaryList ?? [], nextToken: out.nextToken };
    }),
  );
  return builds.flat().flatMap((b) => {
    if (!b.arn) return [];
    // The recipe ARN is the image version's: image/<name>/<version>/<build> ↔ image-recipe/<name>/<version>.
    const recipeArn = b.arn.replace(':image/', ':image-recipe/').replace(/\/\d+$/, '');
    const amiId = b.outputResources?.amis?.[0]?.image ?? null;
    return [{ imageArn: b.arn, recipeArn, createdAt: b.dateCreated ?? new Date(0).toISOString(), amiId }];
  });
}

/** Registration, root snapshots and Fast Launch of each AMI. One DescribeImages per id: an unknown id fails the whole call. */
async function describeAmis(builds: Build[], fastLaunchTemplateId: string): Promise<BuiltImage[]> {
  const facts = await mapLimit(builds, 4, async (b) => {
    if (!b.amiId) return { ...b, registered: false, snapshots: [], fastLaunch: 'off' as const };
    const amiId = b.amiId;
    try {
      const out = await withRetries(() => ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] })));
      const image = out.Images?.find((i) => i.ImageId === amiId);
      const snapshots = (image?.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [{ snapshotId: m.Ebs.SnapshotId, sizeGiB: m.Ebs.VolumeSize ?? 0 }] : []));
      return { ...b, registered: image !== undefined && image.State !== 'deregistered', snapshots, fastLaunch: 'off' as const };
    } catch (error) {
      if (error instanceof Error && error.name.startsWith('InvalidAMIID')) return { ...b, registered: false, snapshots: [], fastLaunch: 'off' as const };
      throw error;
    }
  });
  const registered = facts.filter((f) => f.registered).map((f) => f.amiId as string);
  const state = new Map<string, BuiltImage['fastLaunch']>();
  for (const batch of chunk(registered, 20)) {
    const out = await withRetries(() => ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: batch })));
    for (const i of out.FastLaunchImages ?? []) {
      if (!i.ImageId) continue;
      const ours = i.LaunchTemplate?.LaunchTemplateId === fastLaunchTemplateId;
      state.set(i.ImageId, !ours ? 'theirs' : i.State?.startsWith('disabling') ? 'disabling' : 'ours');
    }
  }
  return facts.map((f) => ({ ...f, fastLaunch: (f.amiId && state.get(f.amiId)) || 'off' }));
}

async function ownRecipes(recipeName: string): Promise<RecipeFacts[]> {
  const list = await pages(async (nextToken) => {
    const out = await imageBuilder.send(new ListImageRecipesCommand({ owner: 'Self', filters: [{ name: 'name', values: [recipeName] }], ...(nextToken ? { nextToken } : {}) }));
    return { items: out.imageRecipeSummaryList ?? [], nextToken: out.nextToken };
  });
  return mapLimit(list, 4, async (r) => {
    const out = await withRetries(() => imageBuilder.send(new GetImageRecipeCommand({ imageRecipeArn: r.arn })));
    return { arn: r.arn as string, createdAt: r.dateCreated ?? new Date(0).toISOString(), componentArns: (out.imageRecipe?.components ?? []).flatMap((c) => (c.componentArn ? [c.componentArn] : [])) };
  });
}

async function ownComponents(componentName: string): Promise<ComponentFacts[]> {
  const versions = await pages(async (nextToken) => {
    const out = await imageBuilder.send(new ListComponentsCommand({ owner: 'Self', filters: [{ name: 'name', values: [componentName] }], ...(nextToken ? { nextToken } : {}) }));
    return { items: out.componentVersionList ?? [], nextToken: out.nextToken };
  });
  const builds = await mapLimit(versions, 4, (v) =>
    pages(async (nextToken) => {
      const out = await imageBuilder.send(new ListComponentBuildVersionsCommand({ componentVersionArn: v.arn, ...(nextToken ? { nextToken } : {}) }));
      return { items: out.componentSummaryList ?? [], nextToken: out.nextToken };
    }),
  );
  return builds.flat().flatMap((c) => (c.arn ? [{ arn: c.arn, createdAt: c.dateCreated ?? new Date(0).toISOString() }] : []));
}

interface Usage {
  versions: LtVersionFacts[];
  versionsInUse: Record<string, string[]>;
  launchedBy: Map<string, string[]>;
  runningOn: Map<string, string[]>;
  rollbackOf: Map<string, string[]>;
}

/**
 * Every Auto Scaling group of the account (managed node groups' own included: EKS makes
 * them), the launch template versions they and their instances use, and each version's
 * AMI. All groups, not only the configured ones: a version or AMI some other group
 * launches from is in use too.
 */
async function launchTemplateUsage(): Promise<Usage> {
  const groups = await pages<AutoScalingGroup>(async (NextToken) => {
    const out = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 100, ...(NextToken ? { NextToken } : {}) }));
    return { items: out.AutoScalingGroups ?? [], nextToken: out.NextToken };
  });
  const specsOf = (asg: AutoScalingGroup) => {
    const own: LaunchTemplateSpecification[] = [];
    const push = (s: LaunchTemplateSpecification | undefined) => s && (s.LaunchTemplateId || s.LaunchTemplateName) && own.push(s);
    push(asg.LaunchTemplate);
    push(asg.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification);
    for (const o of asg.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? []) push(o.LaunchTemplateSpecification);
    return { own, instances: (asg.Instances ?? []).flatMap((i) => (i.LaunchTemplate ? [i.LaunchTemplate] : [])) };
  };
  const templates = new Map<string, LaunchTemplateSpecification>();
  for (const asg of groups) {
    const { own, instances } = specsOf(asg);
    for (const s of [...own, ...instances]) templates.set(s.LaunchTemplateId ?? `name:${s.LaunchTemplateName}`, s);
  }
  const byTemplate = new Map<string, LaunchTemplateVersion[]>();
  await mapLimit([...templates.entries()], 4, async ([key, spec]) => {
    const versions = await pages(async (NextToken) => {
      const out = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({ ...(spec.LaunchTemplateId ? { LaunchTemplateId: spec.LaunchTemplateId } : { LaunchTemplateName: spec.LaunchTemplateName }), ...(NextToken ? { NextToken } : {}) }),
      );
      return { items: out.LaunchTemplateVersions ?? [], nextToken: out.NextToken };
    });
    byTemplate.set(key, versions);
  });
  const resolve = (s: LaunchTemplateSpecification): LaunchTemplateVersion | undefined => {
    const versions = byTemplate.get(s.LaunchTemplateId ?? `name:${s.LaunchTemplateName}`) ?? [];
    const v = s.Version ?? '$Default';
    if (v === '$Default') return versions.find((x) => x.DefaultVersion);
    if (v === '$Latest') return versions.reduce<LaunchTemplateVersion | undefined>((a, x) => ((x.VersionNumber ?? 0) > (a?.VersionNumber ?? 0) ? x : a), undefined);
    return versions.find((x) => String(x.VersionNumber) === v);
  };
  const versionsInUse: Record<string, string[]> = {};
  const launchedBy = new Map<string, string[]>();
  const runningOn = new Map<string, string[]>();
  const rollbackOf = new Map<string, string[]>();
  const note = (m: Map<string, string[]>, amiId: string | undefined, name: string) => {
    if (!amiId) return;
    const list = m.get(amiId) ?? [];
    if (!list.includes(name)) list.push(name);
    m.set(amiId, list);
  };
  const use = (v: LaunchTemplateVersion, why: string) => {
    const list = (versionsInUse[`${v.LaunchTemplateId}:${v.VersionNumber}`] ??= []);
    if (!list.includes(why)) list.push(why);
  };
  for (const asg of groups) {
    const name = asg.AutoScalingGroupName ?? '';
    const { own, instances } = specsOf(asg);
    const launches = new Set<string | undefined>();
    for (const s of own) {
      const v = resolve(s);
      if (!v) continue;
      launches.add(v.LaunchTemplateData?.ImageId);
      use(v, `${name} launches from it`);
      note(launchedBy, v.LaunchTemplateData?.ImageId, name);
      // Rollback target: the newest older version with another AMI, when the pipeline made the one in use.
      if (!v.VersionDescription?.startsWith(OUR_VERSION_PREFIX)) continue;
      const before = (byTemplate.get(s.LaunchTemplateId ?? `name:${s.LaunchTemplateName}`) ?? [])
        .filter((x) => (x.VersionNumber ?? 0) < (v.VersionNumber ?? 0) && x.LaunchTemplateData?.ImageId !== v.LaunchTemplateData?.ImageId)
        .sort((a, b) => (b.VersionNumber ?? 0) - (a.VersionNumber ?? 0))[0];
      if (before) {
        use(before, `rollback target of ${name}`);
        note(rollbackOf, before.LaunchTemplateData?.ImageId, name);
      }
    }
    for (const s of instances) {
      const v = resolve(s);
      if (!v) continue;
      use(v, `instances of ${name} were launched from it`);
      // Said once: a group's instances on the AMI it launches from add nothing to "in use by".
      if (!launches.has(v.LaunchTemplateData?.ImageId)) note(runningOn, v.LaunchTemplateData?.ImageId, name);
    }
  }
  const versions: LtVersionFacts[] = [...byTemplate.values()].flat().map((v) => ({
    launchTemplateId: v.LaunchTemplateId ?? '',
    launchTemplateName: v.LaunchTemplateName ?? '',
    versionNumber: v.VersionNumber ?? 0,
    amiId: v.LaunchTemplateData?.ImageId,
    isDefault: v.DefaultVersion === true,
    createdAt: (v.CreateTime ?? new Date(0)).toISOString(),
    ours: v.VersionDescription?.startsWith(OUR_VERSION_PREFIX) ?? false,
  }));
  return { versions, versionsInUse, launchedBy, runningOn, rollbackOf };
}
