import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { PipelineConfig, Variant } from '../config.js';
import { PlanError } from '../errors.js';
import { checkImagesForVariant, imagesDigest, parseImageReference } from '../images.js';
import { STAGES, type ExecutionInput } from '../input.js';
import { executionName as makeName } from '../names.js';
import { startNotice } from '../notify/messages.js';
import { launchTemplateInUse } from '../rollout/launch-template-in-use.js';
import { assessNodeGroup } from '../rollout/preflight.js';
import { splitIntoWaves } from '../rollout/waves.js';
import { describeAmis, describeVersions, findAutoScalingGroups, readParameters, terminationHooks } from './aws.js';
import type { NodeGroupPlan, RunPlan, VariantPlan } from './types.js';

/** AWS's public parameter holding the newest EKS-optimized Windows AMI of a variant. */
export function sourceParameter(v: Pick<Variant, 'windows' | 'edition' | 'kubernetes'>): string {
  return `/aws/service/ami-windows-latest/Windows_Server-${v.windows}-English-${v.edition}-EKS_Optimized-${v.kubernetes}/image_id`;
}

/** Our own record of the source AMI of the last successful build (written only on success). */
export function lastBuildParameter(prefix: string, variantId: string): string {
  return `${prefix}/${variantId}/last-source-ami`;
}

export interface PlanContext {
  executionName: string;
  parameterPrefix: string;
}

/**
 * Reads the account and decides everything a run will do, writing nothing: the dry-run
 * output and the real run's plan are the same object. Every problem found is reported
 * at once (PlanError), before any build starts.
 */
export async function planRun(input: ExecutionInput, config: PipelineConfig, ctx: PlanContext): Promise<RunPlan> {
  const variants = config.variants.filter((v) => !input.variants || input.variants.includes(v.id));
  const problems: string[] = [];

  const parameters = await readParameters([
    ...variants.map(sourceParameter),
    ...variants.map((v) => lastBuildParameter(ctx.parameterPrefix, v.id)),
  ]);
  const explicitAmi = input.baseAmi ?? input.amiId;
  const amis = explicitAmi ? await describeAmis([explicitAmi]) : new Map();
  if (explicitAmi) {
    const ami = amis.get(explicitAmi);
    if (!ami) problems.push(`input.${input.baseAmi ? 'baseAmi' : 'amiId'}: AMI ${explicitAmi} does not exist in this region or is not shared with this account`);
    else if (!ami.windows) problems.push(`input.${input.baseAmi ? 'baseAmi' : 'amiId'}: AMI ${explicitAmi} (${ami.name}) is not a Windows AMI`);
  }

  const planned: VariantPlan[] = [];
  for (const variant of variants) {
    const param = sourceParameter(variant);
    const published = parameters.get(param);
    if (!published && !explicitAmi) {
      problems.push(`variant ${variant.id}: AWS publishes no parameter ${param}; check windows/edition/kubernetes (is Kubernetes ${variant.kubernetes} supported for Windows Server ${variant.windows} ${variant.edition}?)`);
      continue;
    }
    const images = [...config.images, ...variant.images];
    problems.push(...checkImagesForVariant(images, variant).map((p) => `variant ${variant.id}: ${p}`));
    const groups = await planNodeGroups(variant, config, input);
    problems.push(...groups.problems);
    const refs = images.flatMap((i) => {
      try {
        return [parseImageReference(i.ref).canonical];
      } catch {
        return [];
      }
    });
    planned.push({
      id: variant.id,
      windows: variant.windows,
      edition: variant.edition,
      kubernetes: variant.kubernetes,
      sourceParameter: param,
      sourceAmi: input.baseAmi ?? published ?? (input.amiId as string),
      lastBuiltSourceAmi: parameters.get(lastBuildParameter(ctx.parameterPrefix, variant.id)) ?? null,
      amiId: input.amiId ?? null,
      stages: Object.fromEntries(STAGES.map((s) => [s, input.stages.includes(s) && (s !== 'fastLaunch' || config.fastLaunch.enabled)])) as VariantPlan['stages'],
      images: refs,
      imagesDigest: imagesDigest(refs),
      waves: splitIntoWaves(groups.groups, config.rollout.waveSize),
      warnings: groups.warnings,
      childName: makeName(ctx.executionName, variant.id),
    });
  }
  if (input.nodeGroups) {
    const known = new Set(planned.flatMap((v) => v.waves.flat().map((g) => g.asgName)));
    input.nodeGroups.forEach((n, i) => {
      if (!known.has(n)) problems.push(`input.nodeGroups[${i}]: "${n}" is not a node group of the selected variants`);
    });
  }
  if (problems.length) throw new PlanError(`The plan found ${problems.length} problem(s); nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);

  const plan: Omit<RunPlan, 'notice'> = {
    executionName: ctx.executionName,
    trigger: input.trigger,
    reason: input.reason,
    dryRun: input.dryRun,
    variants: planned,
    warnings: planned.flatMap((v) => v.warnings.map((w) => `${v.id}: ${w}`)),
  };
  return { ...plan, notice: startNotice(plan) };
}

async function planNodeGroups(variant: Variant, config: PipelineConfig, input: ExecutionInput) {
  const problems: string[] = [];
  const warnings: string[] = [];
  const found = await findAutoScalingGroups(variant.nodeGroups);
  problems.push(...found.missing.map((n) => `variant ${variant.id}: Auto Scaling group "${n}" was not found in this region`));
  const selected = found.groups.filter(({ asg }) => !input.nodeGroups || input.nodeGroups.includes(asg.AutoScalingGroupName as string));
  const refs = selected.map(({ asg }) => launchTemplateInUse(asg));
  const versions = await describeVersions(refs.flatMap((r) => (r ? [r] : [])));
  const hooks = await terminationHooks(selected.map(({ asg }) => asg.AutoScalingGroupName as string));

  const groups: NodeGroupPlan[] = [];
  let v = 0;
  selected.forEach(({ asg, canary }, i) => {
    const ref = refs[i];
    const version = ref ? versions[v++] : undefined;
    const verdict = assessNodeGroup(asg, ref?.version, version, config.rollout.allowUnpinnedVersions, hooks[i] ?? false);
    problems.push(...verdict.problems.map((p) => `variant ${variant.id}: ${p}`));
    warnings.push(...verdict.warnings);
    if (verdict.problems.length === 0 && version) groups.push({ ...toPlan(asg, version), canary });
  });
  return { groups, problems, warnings };
}

function toPlan(asg: AutoScalingGroup, version: LaunchTemplateVersion): Omit<NodeGroupPlan, 'canary'> {
  return {
    asgName: asg.AutoScalingGroupName as string,
    launchTemplateId: version.LaunchTemplateId as string,
    version: String(version.VersionNumber),
    imageId: version.LaunchTemplateData?.ImageId ?? '',
  };
}
