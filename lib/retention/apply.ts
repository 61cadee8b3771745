import { DeleteLaunchTemplateVersionsCommand, DeleteSnapshotCommand, DeregisterImageCommand, DisableFastLaunchCommand } from '@aws-sdk/client-ec2';
import { DeleteComponentCommand, DeleteImageCommand, DeleteImageRecipeCommand } from '@aws-sdk/client-imagebuilder';
import { ec2 } from '../aws/ec2.js';
import { imageBuilder } from '../aws/image-builder.js';
import { withRetries } from '../aws/retry.js';
import { logger } from '../logger.js';
import { chunk } from '../util.js';
import type { RetentionPlan } from './decide.js';
import type { RetentionOutcome } from './outcome.js';

export type { RetentionOutcome };

const reasonOf = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
const named = (error: unknown, ...names: string[]) => error instanceof Error && names.some((n) => error.name === n || error.name.startsWith(`${n}.`));

/** The plan, as a dry run reports it: everything it would delete, nothing done. */
export function dryRunOutcome(plan: RetentionPlan): RetentionOutcome {
  return {
    variantId: plan.variantId,
    dryRun: true,
    kept: plan.kept,
    fastLaunchTurnedOff: plan.amis.filter((a) => a.fastLaunch === 'turnOff').map((a) => a.amiId),
    deregistered: plan.amis.filter((a) => a.registered).map((a) => a.amiId),
    snapshotsDeleted: plan.amis.flatMap((a) => a.snapshots.map((s) => s.snapshotId)),
    images: plan.images,
    recipes: plan.recipes,
    components: plan.components,
    launchTemplateVersions: plan.launchTemplateVersions,
    freedGiB: plan.freedGiB,
    pending: [],
    skipped: [],
  };
}

/**
 * Carries out a retention plan in the order AWS needs: Fast Launch off → DeregisterImage
 * → DeleteSnapshot → DeleteImage → DeleteImageRecipe → DeleteComponent; launch
 * template versions last. Each step is idempotent (a resource already gone counts as
 * done), so a rerun finishes what an interrupted one left. Resources AWS refuses
 * (ResourceDependencyException, InvalidSnapshot.InUse, …) are reported, not fatal.
 */
export async function applyRetention(plan: RetentionPlan): Promise<RetentionOutcome> {
  const out: RetentionOutcome = { ...dryRunOutcome(plan), dryRun: false, fastLaunchTurnedOff: [], deregistered: [], snapshotsDeleted: [], images: [], recipes: [], components: [], launchTemplateVersions: [], freedGiB: 0 };
  const skip = (resource: string, error: unknown) => {
    out.skipped.push({ resource, reason: reasonOf(error) });
    logger.warn(`retention left ${resource}: ${reasonOf(error)}`, { resource });
  };
  const blocked = new Set<string>();
  for (const ami of plan.amis) {
    if (ami.fastLaunch === 'turnOff') {
      await withRetries(() => ec2.send(new DisableFastLaunchCommand({ ImageId: ami.amiId })));
      logger.info(`fast launch disabled on ${ami.amiId} before deregistering it`, { amiId: ami.amiId });
      out.fastLaunchTurnedOff.push(ami.amiId);
    }
    if (ami.fastLaunch !== 'off') {
      out.pending.push(ami.amiId);
      blocked.add(ami.imageArn);
      continue;
    }
    if (ami.registered) {
      try {
        await withRetries(() => ec2.send(new DeregisterImageCommand({ ImageId: ami.amiId })));
        logger.info(`AMI ${ami.amiId} deregistered (retention)`, { amiId: ami.amiId });
        out.deregistered.push(ami.amiId);
      } catch (error) {
        if (!named(error, 'InvalidAMIID')) {
          skip(ami.amiId, error);
          blocked.add(ami.imageArn);
          continue;
        }
      }
    }
    for (const s of ami.snapshots) {
      try {
        await withRetries(() => ec2.send(new DeleteSnapshotCommand({ SnapshotId: s.snapshotId })));
        out.snapshotsDeleted.push(s.snapshotId);
        out.freedGiB += s.sizeGiB;
      } catch (error) {
        if (!named(error, 'InvalidSnapshot.NotFound')) skip(s.snapshotId, error);
      }
    }
  }
  for (const arn of plan.images) {
    if (blocked.has(arn)) continue;
    await imageBuilderDelete(arn, () => imageBuilder.send(new DeleteImageCommand({ imageBuildVersionArn: arn })), out.images, skip);
  }
  // A recipe whose image stays (its AMI could not go yet) still has it: Image Builder would refuse (ResourceDependencyException).
  const blockedRecipes = new Set([...blocked].map((arn) => arn.replace(':image/', ':image-recipe/').replace(/\/\d+$/, '')));
  for (const arn of plan.recipes.filter((r) => !blockedRecipes.has(r))) await imageBuilderDelete(arn, () => imageBuilder.send(new DeleteImageRecipeCommand({ imageRecipeArn: arn })), out.recipes, skip);
  for (const arn of plan.components) await imageBuilderDelete(arn, () => imageBuilder.send(new DeleteComponentCommand({ componentBuildVersionArn: arn })), out.components, skip);
  for (const t of plan.launchTemplateVersions) {
    const done: number[] = [];
    // DeleteLaunchTemplateVersions takes at most 200 versions a request.
    for (const batch of chunk(t.versions, 200)) {
      const res = await withRetries(() => ec2.send(new DeleteLaunchTemplateVersionsCommand({ LaunchTemplateId: t.launchTemplateId, Versions: batch.map(String) })));
      done.push(...(res.SuccessfullyDeletedLaunchTemplateVersions ?? []).map((v) => v.VersionNumber ?? 0));
      for (const v of res.UnsuccessfullyDeletedLaunchTemplateVersions ?? []) {
        if (v.ResponseError?.Code === 'launchTemplateVersionDoesNotExist') continue;
        out.skipped.push({ resource: `${t.launchTemplateName} version ${v.VersionNumber}`, reason: `${v.ResponseError?.Code}: ${v.ResponseError?.Message}` });
      }
    }
    if (done.length) {
      logger.info(`launch template ${t.launchTemplateName} versions ${done.join(', ')} deleted (retention)`, { launchTemplateId: t.launchTemplateId });
      out.launchTemplateVersions.push({ ...t, versions: done });
    }
  }
  return out;
}

async function imageBuilderDelete(arn: string, call: () => Promise<unknown>, done: string[], skip: (resource: string, error: unknown) => void): Promise<void> {
  try {
    await withRetries(call);
    done.push(arn);
  } catch (error) {
    // Gone already (an earlier pass): done. Still depended on (ResourceDependencyException): the next run tries again.
    if (named(error, 'ResourceNotFoundException')) return;
    skip(arn, error);
  }
}

