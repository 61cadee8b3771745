import { parse } from 'yaml';
import { awsError, arr, iso, idempotent, MINUTE, obj, type Ctx, type Handlers, type ImageRec, type Input, type RecipeRec } from './context.js';
import { allAmis, type AmiView } from './ec2.js';
import { ssmValue } from './ssm.js';

// EC2 Image Builder API Reference, CreateComponent / CreateImageRecipe: name pattern ^[-_A-Za-z0-9][-_A-Za-z0-9 ]{1,126}
// [-_A-Za-z0-9]$; component data "Length Constraints: Minimum length of 1. Maximum length of 16000"; semantic version
// nodes 0..2^30-1 (Image Builder User Guide, "Semantic versioning in Image Builder").
const NAME_RE = /^[-_A-Za-z0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z0-9]$/;
const MAX_COMPONENT_DATA = 16_000;
const MAX_VERSION_PART = 1_073_741_823;
// Image Builder API Reference, "ImageState": PENDING, CREATING, BUILDING, TESTING, DISTRIBUTING, then AVAILABLE,
// FAILED or CANCELLED. How long each phase takes is not documented; these shares of durations.imageBuild are ours.
/** Share of the build each phase takes, in order. */
const PHASES: [string, number][] = [
  ['PENDING', 0.02],
  ['CREATING', 0.05],
  ['BUILDING', 0.7],
  ['TESTING', 0.15],
  ['DISTRIBUTING', 0.08],
];
const TERMINAL = new Set(['AVAILABLE', 'FAILED', 'CANCELLED']);

export function imageStatus(ctx: Ctx, img: ImageRec, now = ctx.now()): { status: string; reason?: string } {
  const total = ctx.durations.imageBuild * MINUTE;
  let t = img.createdAt;
  for (const [phase, share] of PHASES) {
    const end = t + share * total;
    if (img.cancelledAt !== undefined && img.cancelledAt < end) return now < img.cancelledAt ? { status: phase } : { status: 'CANCELLED', reason: 'Image creation cancelled by user' };
    // Injected failures strike halfway through their phase.
    if (img.failure?.at === phase && now >= t + (end - t) / 2) return { status: 'FAILED', reason: img.failure.reason };
    if (now < end) return { status: phase };
    t = end;
  }
  return { status: 'AVAILABLE' };
}

/**
 * When the image's build stopped running instances (the cost model's build instance hours): its end (AVAILABLE), its
 * cancellation, or its failure (halfway through the failing phase, as imageStatus); now while it runs.
 */
export function buildEndsAt(ctx: Ctx, img: ImageRec, now = ctx.now()): number {
  const total = ctx.durations.imageBuild * MINUTE;
  let t = img.createdAt;
  for (const [phase, share] of PHASES) {
    const end = t + share * total;
    if (img.cancelledAt !== undefined && img.cancelledAt < end) return Math.min(now, img.cancelledAt);
    if (img.failure?.at === phase) return Math.min(now, t + (end - t) / 2);
    t = end;
  }
  return Math.min(now, t);
}

// Image Builder API Reference, GetImage "outputResources": the AMI exists (and is listed) only once the image is
// AVAILABLE; the simulation hides it from DescribeImages until then (the stricter reading).
export function builtAmis(ctx: Ctx): AmiView[] {
  const now = ctx.now();
  return Object.values(ctx.state.images)
    .filter((img) => imageStatus(ctx, img, now).status === 'AVAILABLE')
    .map((img) => ({ id: img.amiId, name: img.amiName, platform: img.platform, owner: 'self', createdAt: img.createdAt + ctx.durations.imageBuild * MINUTE, rootGiB: recipeRootGiB(ctx.state.recipes[img.recipeArn]), imageBuilderArn: img.arn }));
}

/** The recipe's /dev/sda1 volume size: the size of the output AMI's root snapshot (50 GiB when the recipe names none). */
function recipeRootGiB(recipe: RecipeRec | undefined): number {
  const root = arr(recipe?.raw.blockDeviceMappings).map((m) => obj(m) ?? {}).find((m) => m.deviceName === '/dev/sda1');
  const size = obj(root?.ebs)?.volumeSize;
  return typeof size === 'number' ? size : 50;
}

// Image Builder API Reference, ListImages / ListImageRecipes / ListComponents: filters by `name` (and others, not
// modelled: the stricter reading refuses them), owner Self by default. Not paginated here (knowingly simplified).
function nameFilter(input: Input): (name: string) => boolean {
  const filters = arr(input.filters).map((f) => obj(f) ?? {});
  for (const f of filters) if (f.name !== 'name') throw awsError('InvalidParameterValueException', `The filter ${String(f.name)} is not supported here.`);
  const names = filters.flatMap((f) => arr(f.values).map(String));
  return (name) => names.length === 0 || names.includes(name);
}

function checkNameAndVersion(input: Input): { name: string; version: string } {
  const name = input.name;
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw awsError('InvalidParameterValueException', `The value supplied for parameter 'name' is not valid: ${String(name)}`);
  const version = input.semanticVersion;
  const parts = typeof version === 'string' && /^\d+\.\d+\.\d+$/.test(version) ? version.split('.').map(Number) : undefined;
  if (!parts || parts.some((p) => p > MAX_VERSION_PART))
    throw awsError('InvalidVersionNumberException', `The semantic version ${String(version)} is not valid: use major.minor.patch, each 0-${MAX_VERSION_PART}.`);
  return { name, version: version as string };
}

const arnName = (name: string) => name.toLowerCase().replace(/ /g, '-');

export function imagebuilderHandlers(ctx: Ctx): Handlers {
  const base = `arn:aws:imagebuilder:${ctx.region}:${ctx.accountId}`;
  const findComponent = (arn: string) => {
    const m = /^arn:aws[\w-]*:imagebuilder:[a-z0-9-]+:(aws|\d{12}):component\/([a-z0-9-_]+)\/([0-9x.]+)(\/\d+)?$/.exec(arn);
    if (!m) throw awsError('InvalidParameterValueException', `The value supplied for parameter 'componentArn' is not valid: ${arn}`);
    // Image Builder User Guide, "Semantic versioning in Image Builder": x.x.x selects the newest version; an unknown
    // component ARN is ResourceNotFoundException (Image Builder API Reference, "Common Errors").
    if (m[1] === 'aws') return; // Amazon-managed components (update-windows/x.x.x) always exist.
    const found = Object.values(ctx.state.components).some((c) => ctx.state.deletedImageBuilder[c.arn] === undefined && arnName(c.name) === m[2] && (m[3] === 'x.x.x' || c.version === m[3]));
    if (!found) throw awsError('ResourceNotFoundException', `The resource ARN '${arn}' does not exist.`);
  };
  return {
    CreateComponent(input: Input) {
      const { name, version } = checkNameAndVersion(input);
      const arn = idempotent(ctx, 'CreateComponent', input.clientToken, input, 'IdempotentParameterMismatchException', () => {
        // Image Builder API Reference, CreateComponent: platform Windows | Linux | macOS; data or uri; a document with
        // phases (Image Builder User Guide, "Component document"). clientToken idempotency: IdempotentParameterMismatchException.
        if (typeof input.platform !== 'string' || !['Windows', 'Linux', 'macOS'].includes(input.platform))
          throw awsError('InvalidParameterValueException', `The value supplied for parameter 'platform' is not valid.`);
        const data = input.data;
        if (typeof data !== 'string' && typeof input.uri !== 'string') throw awsError('InvalidRequestException', 'Either data or uri must be given.');
        if (typeof data === 'string') {
          if (data.length > MAX_COMPONENT_DATA)
            throw awsError('InvalidParameterValueException', `The value supplied for parameter 'data' is ${data.length} characters; the maximum is ${MAX_COMPONENT_DATA}.`);
          let doc: unknown;
          try {
            doc = parse(data);
          } catch (e) {
            throw awsError('InvalidParameterValueException', `The component document is not valid YAML: ${(e as Error).message}`);
          }
          if (!Array.isArray(obj(doc)?.phases)) throw awsError('InvalidParameterValueException', 'The component document must define phases.');
        }
        const arn = `${base}:component/${arnName(name)}/${version}/1`;
        // Image Builder API Reference, CreateComponent / CreateImageRecipe: a name and version that exist already is
        // ResourceAlreadyExistsException (versions are immutable).
        if (ctx.state.components[arn]) throw awsError('ResourceAlreadyExistsException', `The resource ARN '${arn}' already exists.`);
        ctx.state.components[arn] = { arn, name, version, platform: input.platform, ...(typeof data === 'string' ? { data } : {}), createdAt: ctx.now() };
        return arn;
      });
      return { requestId: ctx.requestId(), clientToken: input.clientToken, componentBuildVersionArn: arn };
    },
    CreateImageRecipe(input: Input) {
      const { name, version } = checkNameAndVersion(input);
      const arn = idempotent(ctx, 'CreateImageRecipe', input.clientToken, input, 'IdempotentParameterMismatchException', () => {
        const components = arr(input.components).map((c) => obj(c) ?? {});
        if (components.length === 0) throw awsError('InvalidParameterValueException', 'A recipe needs at least one component.');
        for (const c of components) findComponent(String(c.componentArn));
        const parent = input.parentImage;
        if (typeof parent !== 'string') throw awsError('InvalidParameterValueException', "The value supplied for parameter 'parentImage' is not valid.");
        // ssm: parents are resolved when an image is created; plain AMI ids must exist now.
        // Image Builder API Reference, CreateImageRecipe: parentImage is an AMI id, an Image Builder image ARN or ssm:<param>.
        // NOTE more forgiving than AWS: an arn: parent is not checked.
        if (!parent.startsWith('ssm:') && !parent.startsWith('arn:') && !allAmis(ctx).has(parent))
          throw awsError('InvalidParameterValueException', `The value supplied for parameter 'parentImage' is not valid: ${parent} does not exist.`);
        const arn = `${base}:image-recipe/${arnName(name)}/${version}`;
        if (ctx.state.recipes[arn]) throw awsError('ResourceAlreadyExistsException', `The resource ARN '${arn}' already exists.`);
        ctx.state.recipes[arn] = { arn, name, version, parentImage: parent, components: structuredClone(components), createdAt: ctx.now(), raw: input.blockDeviceMappings ? { blockDeviceMappings: structuredClone(input.blockDeviceMappings) } : {} };
        return arn;
      });
      return { requestId: ctx.requestId(), clientToken: input.clientToken, imageRecipeArn: arn };
    },
    CreateImage(input: Input) {
      const arn = idempotent(ctx, 'CreateImage', input.clientToken, input, 'IdempotentParameterMismatchException', () => {
        // Image Builder API Reference, CreateImage: imageRecipeArn and infrastructureConfigurationArn are required; clientToken
        // makes it idempotent (IdempotentParameterMismatchException on another request). NOTE more forgiving than AWS: the
        // infrastructure and distribution configurations are not checked to exist.
        const recipe = ctx.state.recipes[String(input.imageRecipeArn)];
        if (!recipe) throw awsError('ResourceNotFoundException', `The resource ARN '${String(input.imageRecipeArn)}' does not exist.`);
        if (typeof input.infrastructureConfigurationArn !== 'string')
          throw awsError('InvalidRequestException', 'infrastructureConfigurationArn is required.');
        const parentId = recipe.parentImage.startsWith('ssm:') ? ssmValue(ctx, recipe.parentImage.slice(4)) : recipe.parentImage;
        const parent = parentId ? allAmis(ctx).get(parentId) : undefined;
        if (!parent) throw awsError('InvalidParameterValueException', `The parent image ${recipe.parentImage} could not be resolved to an AMI.`);
        // Image Builder User Guide, "Semantic versioning in Image Builder": "Image Builder automatically assigns the build
        // number to the fourth node".
        const buildNumber = Object.values(ctx.state.images).filter((i) => i.recipeArn === recipe.arn).length + 1;
        const now = ctx.now();
        const fi = ctx.faults.findIndex((f) => f.kind === 'imageBuildFailure' && recipe.name.includes(f.recipe));
        const fault = ctx.faults[fi];
        const failure = fault?.kind === 'imageBuildFailure' && ctx.takeFault(fi) ? { at: fault.at, reason: fault.reason } : undefined;
        const arn = `${base}:image/${arnName(recipe.name)}/${recipe.version}/${buildNumber}`;
        ctx.state.images[arn] = {
          arn,
          recipeArn: recipe.arn,
          buildNumber,
          createdAt: now,
          parentAmi: parent.id,
          platform: parent.platform,
          amiId: ctx.nextId('ami-'),
          amiName: `${recipe.name} ${iso(now).replace(/:/g, '-')}`,
          infrastructureConfigurationArn: input.infrastructureConfigurationArn,
          ...(typeof input.distributionConfigurationArn === 'string' ? { distributionConfigurationArn: input.distributionConfigurationArn } : {}),
          ...(failure ? { failure } : {}),
        };
        return arn;
      });
      return { requestId: ctx.requestId(), clientToken: input.clientToken, imageBuildVersionArn: arn };
    },
    GetImage(input: Input) {
      const img = ctx.state.images[String(input.imageBuildVersionArn)];
      if (!img || img.deletedAt !== undefined) throw awsError('ResourceNotFoundException', `The resource ARN '${String(input.imageBuildVersionArn)}' does not exist.`);
      const recipe = ctx.state.recipes[img.recipeArn];
      const state = imageStatus(ctx, img);
      return {
        requestId: ctx.requestId(),
        image: {
          arn: img.arn,
          name: recipe?.name,
          type: 'AMI',
          version: `${recipe?.version}/${img.buildNumber}`,
          platform: img.platform === 'windows' ? 'Windows' : 'Linux',
          state,
          imageRecipe: { arn: img.recipeArn, name: recipe?.name, version: recipe?.version, parentImage: recipe?.parentImage, components: structuredClone(recipe?.components) },
          infrastructureConfiguration: { arn: img.infrastructureConfigurationArn },
          ...(img.distributionConfigurationArn ? { distributionConfiguration: { arn: img.distributionConfigurationArn } } : {}),
          dateCreated: iso(img.createdAt),
          outputResources: {
            amis: state.status === 'AVAILABLE' ? [{ region: ctx.region, image: img.amiId, name: img.amiName, accountId: ctx.accountId }] : [],
          },
          buildType: 'USER_INITIATED',
          imageSource: 'CUSTOM',
        },
      };
    },
    ListImages(input: Input) {
      const match = nameFilter(input);
      const versions = new Map<string, Record<string, unknown>>();
      for (const img of Object.values(ctx.state.images)) {
        const recipe = ctx.state.recipes[img.recipeArn];
        if (img.deletedAt !== undefined || !recipe || !match(recipe.name)) continue;
        const arn = `${base}:image/${arnName(recipe.name)}/${recipe.version}`;
        if (!versions.has(arn)) versions.set(arn, { arn, name: recipe.name, type: 'AMI', version: recipe.version, platform: 'Windows', owner: ctx.accountId, dateCreated: iso(img.createdAt) });
      }
      return { requestId: ctx.requestId(), imageVersionList: [...versions.values()] };
    },
    // Image Builder API Reference, ListImageBuildVersions: the builds of one image version (imageVersionArn required).
    ListImageBuildVersions(input: Input) {
      const versionArn = String(input.imageVersionArn ?? '');
      if (!/:image\/[a-z0-9-_]+\/\d+\.\d+\.\d+$/.test(versionArn)) throw awsError('InvalidParameterValueException', `The value supplied for parameter 'imageVersionArn' is not valid: ${versionArn}`);
      const summaries = Object.values(ctx.state.images)
        .filter((img) => img.deletedAt === undefined && img.arn.startsWith(`${versionArn}/`))
        .map((img) => {
          const state = imageStatus(ctx, img);
          return {
            arn: img.arn,
            name: ctx.state.recipes[img.recipeArn]?.name,
            type: 'AMI',
            version: img.arn.split('/').slice(-2).join('/'),
            state,
            dateCreated: iso(img.createdAt),
            outputResources: { amis: state.status === 'AVAILABLE' ? [{ region: ctx.region, image: img.amiId, name: img.amiName, accountId: ctx.accountId }] : [] },
          };
        });
      return { requestId: ctx.requestId(), imageSummaryList: summaries };
    },
    ListImageRecipes(input: Input) {
      const match = nameFilter(input);
      const list = Object.values(ctx.state.recipes)
        .filter((r) => ctx.state.deletedImageBuilder[r.arn] === undefined && match(r.name))
        .map((r) => ({ arn: r.arn, name: r.name, platform: 'Windows', owner: ctx.accountId, parentImage: r.parentImage, dateCreated: iso(r.createdAt) }));
      return { requestId: ctx.requestId(), imageRecipeSummaryList: list };
    },
    ListComponents(input: Input) {
      const match = nameFilter(input);
      const list = Object.values(ctx.state.components)
        .filter((c) => ctx.state.deletedImageBuilder[c.arn] === undefined && match(c.name))
        .map((c) => ({ arn: c.arn.replace(/\/\d+$/, ''), name: c.name, version: c.version, platform: c.platform, type: 'BUILD', owner: ctx.accountId, dateCreated: iso(c.createdAt) }));
      return { requestId: ctx.requestId(), componentVersionList: list };
    },
    // Image Builder API Reference, GetImageRecipe: the recipe with its components; unknown: ResourceNotFoundException.
    GetImageRecipe(input: Input) {
      const arn = String(input.imageRecipeArn);
      const r = ctx.state.recipes[arn];
      if (!r || ctx.state.deletedImageBuilder[arn] !== undefined) throw awsError('ResourceNotFoundException', `The resource ARN '${arn}' does not exist.`);
      return { requestId: ctx.requestId(), imageRecipe: { arn: r.arn, name: r.name, version: r.version, platform: 'Windows', owner: ctx.accountId, parentImage: r.parentImage, components: structuredClone(r.components), dateCreated: iso(r.createdAt) } };
    },
    // Image Builder API Reference, ListComponentBuildVersions: the builds of one component version.
    ListComponentBuildVersions(input: Input) {
      const versionArn = String(input.componentVersionArn ?? '');
      const list = Object.values(ctx.state.components)
        .filter((c) => ctx.state.deletedImageBuilder[c.arn] === undefined && c.arn.startsWith(`${versionArn}/`))
        .map((c) => ({ arn: c.arn, name: c.name, version: c.version, platform: c.platform, type: 'BUILD', owner: ctx.accountId, dateCreated: iso(c.createdAt) }));
      return { requestId: ctx.requestId(), componentSummaryList: list };
    },
    // Image Builder API Reference, DeleteImage: "does not delete any EC2 AMIs or ECR container images that are created
    // during the image build process"; unknown: ResourceNotFoundException. An image still building cannot be deleted
    // (the stricter reading: ResourceDependencyException, as Image Builder names a resource another one depends on).
    DeleteImage(input: Input) {
      const img = ctx.state.images[String(input.imageBuildVersionArn)];
      if (!img || img.deletedAt !== undefined) throw awsError('ResourceNotFoundException', `The resource ARN '${String(input.imageBuildVersionArn)}' does not exist.`);
      if (!TERMINAL.has(imageStatus(ctx, img).status)) throw awsError('ResourceDependencyException', `The image ${img.arn} is still being built.`);
      img.deletedAt = ctx.now();
      return { requestId: ctx.requestId(), imageBuildVersionArn: img.arn };
    },
    // Image Builder API Reference, DeleteImageRecipe: ResourceDependencyException "You have attempted to mutate or
    // delete a resource with a dependency that prohibits this action" — the stricter reading: any image of the recipe
    // that is not deleted yet.
    DeleteImageRecipe(input: Input) {
      const arn = String(input.imageRecipeArn);
      const recipe = ctx.state.recipes[arn];
      if (!recipe || ctx.state.deletedImageBuilder[arn] !== undefined) throw awsError('ResourceNotFoundException', `The resource ARN '${arn}' does not exist.`);
      const users = Object.values(ctx.state.images).filter((i) => i.recipeArn === arn && i.deletedAt === undefined);
      if (users.length) throw awsError('ResourceDependencyException', `Resource dependency error: The resource ARN '${arn}' has other resources depended on it (${users[0]?.arn}).`);
      ctx.state.deletedImageBuilder[arn] = ctx.now();
      return { requestId: ctx.requestId(), imageRecipeArn: arn };
    },
    // Image Builder API Reference, DeleteComponent (componentBuildVersionArn): ResourceDependencyException while a
    // recipe that is not deleted lists the component (the stricter reading).
    DeleteComponent(input: Input) {
      const arn = String(input.componentBuildVersionArn);
      const component = ctx.state.components[arn];
      if (!component || ctx.state.deletedImageBuilder[arn] !== undefined) throw awsError('ResourceNotFoundException', `The resource ARN '${arn}' does not exist.`);
      const versionArn = arn.replace(/\/\d+$/, '');
      const users = Object.values(ctx.state.recipes).filter(
        (r) => ctx.state.deletedImageBuilder[r.arn] === undefined && r.components.some((c) => c.componentArn === arn || c.componentArn === versionArn),
      );
      if (users.length) throw awsError('ResourceDependencyException', `Resource dependency error: The resource ARN '${arn}' has other resources depended on it (${users[0]?.arn}).`);
      ctx.state.deletedImageBuilder[arn] = ctx.now();
      return { requestId: ctx.requestId(), componentBuildVersionArn: arn };
    },
    CancelImageCreation(input: Input) {
      const img = ctx.state.images[String(input.imageBuildVersionArn)];
      if (!img) throw awsError('ResourceNotFoundException', `The resource ARN '${String(input.imageBuildVersionArn)}' does not exist.`);
      const s = imageStatus(ctx, img).status;
      // Image Builder API Reference, CancelImageCreation: only a build in a non-terminal state can be cancelled; the error
      // for a finished one is not documented: the stricter reading refuses with InvalidRequestException.
      if (TERMINAL.has(s)) throw awsError('InvalidRequestException', `The image ${img.arn} is ${s} and cannot be cancelled.`);
      img.cancelledAt = ctx.now();
      return { requestId: ctx.requestId(), clientToken: input.clientToken, imageBuildVersionArn: img.arn };
    },
  };
}
