/**
 * What retention keeps and deletes for one variant. Pure: the facts come from
 * lib/retention/gather.ts, the deletions are made by lib/retention/apply.ts.
 *
 * Rules (README "Retention"):
 * 1. Candidates are only the AMIs of this variant's own Image Builder images (never
 *    Amazon's, never an AMI the pipeline did not build).
 * 2. Kept: the newest `keepImages`, and every AMI still referenced — by a launch
 *    template version an Auto Scaling group (managed node groups' included) or one of
 *    its instances uses, by the variant's AMI parameter (Karpenter), or as a rollback
 *    target (the AMI a group ran before the version it uses now). Each kept AMI says why.
 * 3. An AMI with Windows Fast Launch set up by someone else (another launch template)
 *    is kept: turning it off is theirs to do.
 * 4. Deleted AMIs: Fast Launch off first (DeregisterImage is refused while it is on or
 *    still turning off), then DeregisterImage, then DeleteSnapshot of its snapshots.
 * 5. Image Builder: an image whose AMI is deleted (or that never made one) and that is
 *    older than the oldest of the newest `keepImages` is deleted; a recipe once no
 *    remaining image uses it and it is older than that; a component once no remaining
 *    recipe uses it and it is older than that.
 * 6. Launch template versions: only ones the pipeline created (its VersionDescription),
 *    whose AMI is this variant's and not kept, older than the oldest of the newest
 *    `keepImages`, never the default version, never one in use.
 */

export interface BuiltImage {
  /** Image Builder image build version ARN. */
  imageArn: string;
  recipeArn: string;
  createdAt: string;
  /** The output AMI; null for a build that made none (failed, cancelled). */
  amiId: string | null;
  /** False once the AMI is deregistered (retention ran before and was interrupted, or someone else did it). */
  registered: boolean;
  snapshots: { snapshotId: string; sizeGiB: number }[];
  /** Fast Launch on the AMI: none, ours (the stack's launch template) on, turning off, or someone else's. */
  fastLaunch: 'off' | 'ours' | 'disabling' | 'theirs';
}

export interface RecipeFacts {
  arn: string;
  createdAt: string;
  componentArns: string[];
}

export interface ComponentFacts {
  /** Component build version ARN (what DeleteComponent takes). */
  arn: string;
  createdAt: string;
}

export interface LtVersionFacts {
  launchTemplateId: string;
  launchTemplateName: string;
  versionNumber: number;
  amiId: string | undefined;
  isDefault: boolean;
  createdAt: string;
  /** Made by the pipeline (its VersionDescription says so). */
  ours: boolean;
}

export interface RetentionFacts {
  variantId: string;
  keepImages: number;
  images: BuiltImage[];
  recipes: RecipeFacts[];
  components: ComponentFacts[];
  versions: LtVersionFacts[];
  /** `<launchTemplateId>:<version>` → who uses it. */
  versionsInUse: Record<string, string[]>;
  /** AMI id → why it is still needed (launch template versions in use, AMI parameter, rollback target). */
  references: Record<string, string[]>;
}

export interface KeptImage {
  amiId: string;
  reasons: string[];
}

export interface AmiDeletion {
  amiId: string;
  imageArn: string;
  snapshots: { snapshotId: string; sizeGiB: number }[];
  /** Fast Launch must be turned off first (ours and on), or is still turning off. */
  fastLaunch: 'off' | 'turnOff' | 'turningOff';
  /** Already deregistered: only its snapshots are left. */
  registered: boolean;
}

export interface RetentionPlan {
  variantId: string;
  keepImages: number;
  kept: KeptImage[];
  amis: AmiDeletion[];
  /** Image build version ARNs to delete (after their AMIs). */
  images: string[];
  recipes: string[];
  components: string[];
  launchTemplateVersions: { launchTemplateId: string; launchTemplateName: string; versions: number[] }[];
  /** Root snapshot storage the deletions free. */
  freedGiB: number;
}

const newestFirst = <T extends { createdAt: string }>(a: T, b: T) => Date.parse(b.createdAt) - Date.parse(a.createdAt);

export function decideRetention(f: RetentionFacts): RetentionPlan {
  const withAmi = f.images.filter((i): i is BuiltImage & { amiId: string } => i.amiId !== null).sort(newestFirst);
  const registered = withAmi.filter((i) => i.registered);
  const newest = registered.slice(0, f.keepImages);
  const cutoff = newest.length === f.keepImages ? Math.min(...newest.map((i) => Date.parse(i.createdAt))) : -Infinity;

  const reasons = new Map<string, string[]>();
  const keep = (amiId: string, why: string) => reasons.set(amiId, [...(reasons.get(amiId) ?? []), why]);
  newest.forEach((i, n) => keep(i.amiId, n === 0 ? 'the newest patched AMI' : `one of the newest ${f.keepImages} patched AMIs`));
  for (const i of registered) {
    for (const why of f.references[i.amiId] ?? []) keep(i.amiId, why);
    if (i.fastLaunch === 'theirs') keep(i.amiId, 'Windows Fast Launch on it was set up outside the pipeline (another launch template)');
  }
  const keptIds = new Set(reasons.keys());

  // An AMI deregistered earlier whose snapshots are left (an interrupted run) is finished off as well.
  const amis: AmiDeletion[] = withAmi
    .filter((i) => !keptIds.has(i.amiId) && (i.registered || i.snapshots.length > 0))
    .map((i) => ({
      amiId: i.amiId,
      imageArn: i.imageArn,
      snapshots: i.snapshots,
      fastLaunch: i.fastLaunch === 'ours' ? 'turnOff' : i.fastLaunch === 'disabling' ? 'turningOff' : 'off',
      registered: i.registered,
    }));

  const older = (createdAt: string) => Date.parse(createdAt) < cutoff;
  const amiGone = (i: BuiltImage) => i.amiId === null || !keptIds.has(i.amiId);
  const images = f.images.filter((i) => amiGone(i) && older(i.createdAt)).map((i) => i.imageArn);
  const deletedImages = new Set(images);
  const recipeInUse = new Set(f.images.filter((i) => !deletedImages.has(i.imageArn)).map((i) => i.recipeArn));
  const recipes = f.recipes.filter((r) => !recipeInUse.has(r.arn) && older(r.createdAt));
  const deletedRecipes = new Set(recipes.map((r) => r.arn));
  const componentInUse = new Set(f.recipes.filter((r) => !deletedRecipes.has(r.arn)).flatMap((r) => r.componentArns.map(versionlessComponent)));
  const components = f.components.filter((c) => !componentInUse.has(versionlessComponent(c.arn)) && older(c.createdAt)).map((c) => c.arn);

  const variantAmis = new Set(withAmi.map((i) => i.amiId));
  const byTemplate = new Map<string, { launchTemplateId: string; launchTemplateName: string; versions: number[] }>();
  for (const v of f.versions) {
    const deletable =
      v.ours &&
      !v.isDefault &&
      v.amiId !== undefined &&
      variantAmis.has(v.amiId) &&
      !keptIds.has(v.amiId) &&
      older(v.createdAt) &&
      !(f.versionsInUse[`${v.launchTemplateId}:${v.versionNumber}`]?.length);
    if (!deletable) continue;
    const entry = byTemplate.get(v.launchTemplateId) ?? { launchTemplateId: v.launchTemplateId, launchTemplateName: v.launchTemplateName, versions: [] };
    entry.versions.push(v.versionNumber);
    byTemplate.set(v.launchTemplateId, entry);
  }

  return {
    variantId: f.variantId,
    keepImages: f.keepImages,
    kept: registered.filter((i) => keptIds.has(i.amiId)).map((i) => ({ amiId: i.amiId, reasons: reasons.get(i.amiId) ?? [] })),
    amis,
    images,
    recipes: recipes.map((r) => r.arn),
    components,
    launchTemplateVersions: [...byTemplate.values()].map((t) => ({ ...t, versions: t.versions.sort((a, b) => a - b) })),
    freedGiB: amis.reduce((sum, a) => sum + a.snapshots.reduce((s, x) => s + x.sizeGiB, 0), 0),
  };
}

/** A recipe may name a component by its version ARN or its build version ARN (…/1). */
const versionlessComponent = (arn: string) => arn.replace(/(\/\d+\.\d+\.\d+)\/\d+$/, '$1');

/** The lines a person reads: what is kept and why, what goes. */
export function retentionLines(p: RetentionPlan, dryRun: boolean): string[] {
  const verb = dryRun ? 'would delete' : 'deletes';
  const lines = [`${p.variantId}: keeps ${p.kept.length} AMI(s) (retention.keepImages ${p.keepImages})`];
  for (const k of p.kept) lines.push(`  keeps ${k.amiId}: ${k.reasons.join('; ')}`);
  for (const a of p.amis)
    lines.push(`  ${verb} ${a.amiId}${a.fastLaunch !== 'off' ? ' (Fast Launch off first)' : ''} and snapshot(s) ${a.snapshots.map((s) => `${s.snapshotId} (${s.sizeGiB} GiB)`).join(', ') || 'none'}`);
  if (p.images.length + p.recipes.length + p.components.length)
    lines.push(`  ${verb} ${p.images.length} Image Builder image(s), ${p.recipes.length} recipe(s), ${p.components.length} component(s)`);
  for (const t of p.launchTemplateVersions) lines.push(`  ${verb} launch template ${t.launchTemplateName} version(s) ${t.versions.join(', ')}`);
  if (p.freedGiB) lines.push(`  frees ${p.freedGiB} GiB of AMI snapshots`);
  return lines;
}
