import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import { describeAmis, type AmiFacts } from '../amis.js';
import type { PipelineConfig, Variant } from '../config.js';
import { configuredCluster } from '../config/kubernetes.js';
import type { ExecutionInput } from '../input.js';
import { isUnpinned, launchTemplateInUse } from '../rollout/launch-template-in-use.js';
import { selectedVariants, variantSource, type AccountFacts } from './account.js';
import { allAutoScalingGroups, describeVersions, findAutoScalingGroups, latestVersions, terminationHooks } from './aws.js';
import { tagsOf } from './groups.js';
import { instanceProfileOf, passRoleScoped } from './iam.js';
import { groupClusterVerdict, talksToCluster } from './kubernetes.js';
import { selectNodegroups } from './managed.js';

/**
 * What the plan reads of the fleet (ReadFleet: Auto Scaling and EC2, nothing else), for every variant it plans. It grows
 * with the fleet, so it goes to the run-state bucket (`runs/<execution>/fleet.json`), and PlanRun reads it back.
 */
export interface FleetFacts {
  variants: VariantFleet[];
  /** Every AMI the plan looks at (the input's and the ones the groups' templates name); an unknown id is absent. */
  amis: Record<string, AmiFacts>;
  /** Per launch template the groups run: its latest version number (the next version is the one after) and its tags. */
  templates: Record<string, { latest?: number; tags: Record<string, string> }>;
}

export interface VariantFleet {
  variantId: string;
  /** The ASGs its selectors name that input.nodeGroups selects, in selector order (aws.ts findAutoScalingGroups). */
  groups: GroupFacts[];
  /** ASGs the selectors found before input.nodeGroups. */
  foundCount: number;
  /** asgName selectors that name no ASG, and tag selectors that match none. */
  missing: string[];
  emptyTags: { key: string; value: string }[];
  /** Per managed node group that passed DescribeNodegroup's checks, by its ASG's name: that ASG and its template version. */
  managed: Record<string, { asg: AutoScalingGroup | null; version: LaunchTemplateVersion | null }>;
  /** Every ASG of the region, read only when an unpinned group's template might be shared with a group outside the run. */
  everyGroup: AutoScalingGroup[];
}

export interface GroupFacts {
  asg: AutoScalingGroup;
  canary: boolean;
  /** Its selector's index in the variant's nodeGroups (the first selector that named it). */
  selector: number;
  /** The launch template version it runs, $Latest/$Default resolved; null: no launch template, or not found. */
  version: LaunchTemplateVersion | null;
  /** Its termination lifecycle hooks' names. */
  hooks: string[];
}

/** What CheckAccess must read for the plan: the instance profiles whose role the stack must pass, the clusters the run talks to. */
export interface AccessQuestions {
  profiles: string[];
  clusters: string[];
}

export async function readFleet(input: ExecutionInput, config: PipelineConfig, account: AccountFacts, ctx: { parameterPrefix: string; stage: string; region: string }): Promise<{ facts: FleetFacts; questions: AccessQuestions }> {
  const variants: VariantFleet[] = [];
  for (const variant of selectedVariants(input, config)) {
    if (variantSource(variant, input, account, ctx.parameterPrefix).skip) continue;
    variants.push(await readVariant(variant, config, input, account, ctx.region));
  }
  const versions = variants.flatMap((v) => [...v.groups.map((g) => g.version), ...Object.values(v.managed).map((m) => m.version)]).filter((v): v is LaunchTemplateVersion => v !== null);
  const latest = await latestVersions(versions.flatMap((v) => (v.LaunchTemplateId ? [v.LaunchTemplateId] : [])));
  const imageIds = versions.flatMap((v) => (v.LaunchTemplateData?.ImageId && !v.LaunchTemplateData.ImageId.startsWith('resolve:ssm:') ? [v.LaunchTemplateData.ImageId] : []));
  const explicit = [input.baseAmi, input.amiId].filter((id): id is string => id !== undefined);
  const amis = await describeAmis([...explicit, ...imageIds]);
  const templates = Object.fromEntries([...latest.tags].map(([id, tags]) => [id, { ...(latest.has(id) ? { latest: latest.get(id) } : {}), tags }]));
  return { facts: { variants, amis: Object.fromEntries(amis), templates }, questions: accessQuestions(variants, config, ctx.stage) };
}

async function readVariant(variant: Variant, config: PipelineConfig, input: ExecutionInput, account: AccountFacts, region: string): Promise<VariantFleet> {
  const found = await findAutoScalingGroups(variant.nodeGroups.filter((s) => s.managedNodeGroup === undefined));
  const selected = found.groups.filter(({ asg }) => !input.nodeGroups || input.nodeGroups.includes(asg.AutoScalingGroupName as string));
  const refs = selected.map(({ asg }) => launchTemplateInUse(asg));
  const described = await describeVersions(refs.flatMap((r) => (r ? [r] : [])));
  let v = 0;
  const versions = refs.map((r) => (r ? (described[v++] ?? null) : null));
  const hooks = await terminationHooks(selected.map(({ asg }) => asg.AutoScalingGroupName as string));
  const { passed } = selectNodegroups(variant, input, account.nodegroups, region);
  const asgs = await findAutoScalingGroups(passed.map((p) => ({ asgName: p.template.asgName, canary: false })));
  const byName = new Map(asgs.groups.map((g) => [g.asg.AutoScalingGroupName as string, g.asg]));
  const managedVersions = await describeVersions(passed.map((p) => ({ launchTemplateId: p.template.launchTemplateId, version: p.template.version })));
  const unpinned = config.rollout.allowUnpinnedVersions && refs.some((r) => r && isUnpinned(r.version));
  return {
    variantId: variant.id,
    groups: selected.map(({ asg, canary, selector }, i) => ({ asg, canary, selector: variant.nodeGroups.indexOf(selector), version: versions[i] ?? null, hooks: hooks[i] ?? [] })),
    foundCount: found.groups.length,
    missing: found.missing,
    emptyTags: found.emptyTags,
    managed: Object.fromEntries(passed.map((p, i) => [p.template.asgName, { asg: byName.get(p.template.asgName) ?? null, version: managedVersions[i] ?? null }])),
    everyGroup: unpinned ? await allAutoScalingGroups() : [],
  };
}

/**
 * The instance profiles of the self-managed groups' templates (only when config.iam scopes iam:PassRole), and the
 * clusters whose Kubernetes API the run will use (readiness gate or our drain) for any selected group with a template.
 * A group the plan then refuses for another reason still has its cluster checked: the plan reports every problem at once.
 */
function accessQuestions(variants: VariantFleet[], config: PipelineConfig, stage: string): AccessQuestions {
  const profiles = new Set<string>();
  const clusters = new Set<string>();
  for (const fleet of variants) {
    const variant = config.variants.find((v) => v.id === fleet.variantId) as Variant;
    for (const g of fleet.groups) {
      if (!g.version) continue;
      const profile = instanceProfileOf(g.version);
      if (passRoleScoped(config) && profile !== undefined) profiles.add(profile);
      const name = g.asg.AutoScalingGroupName as string;
      const { k8s } = groupClusterVerdict(name, configuredCluster(variant, variant.nodeGroups[g.selector]), tagsOf(g.asg), config.kubernetes, g.hooks, stage);
      if (talksToCluster(k8s.kubernetes)) clusters.add(k8s.kubernetes.cluster);
    }
  }
  return { profiles: [...profiles].sort(), clusters: [...clusters].sort() };
}
