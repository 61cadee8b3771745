import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { LaunchTemplateVersion } from '@aws-sdk/client-ec2';
import type { Nodegroup } from '@aws-sdk/client-eks';
import type { PipelineConfig, Variant } from '../config.js';
import { configuredCluster } from '../config/kubernetes.js';
import { PlanError } from '../errors.js';
import { cacheComponentProblems } from '../imagebuilder/component.js';
import { checkImagesForVariant, imagesDigest, parseImageReference } from '../images.js';
import type { ExecutionInput } from '../input.js';
import { STAGES } from '../stages.js';
import { executionName as makeName } from '../names.js';
import { skippedNotice, startNotice } from '../notify/messages.js';
import { launchTemplateInUse } from '../rollout/launch-template-in-use.js';
import { assessNodeGroup } from '../rollout/preflight.js';
import { fastLaunchPoolWarning } from '../fastlaunch/quota.js';
import { fitWavesToState } from '../store/wave-budget.js';
import { variantWaves, withHandOvers } from '../rollout/wave-plan.js';
import { fitRolloutToQuota, nodegroupSurge, reservedVcpus, vcpusOf } from './quota.js';
import { selectedVariants, variantSource, type AccountFacts } from './account.js';
import type { AccessFacts } from './access.js';
import type { FleetFacts, VariantFleet } from './fleet.js';
import { sourceParameter } from '../parameters.js';
import { blockingRuns, BUSY_GIVE_UP_SECONDS, BUSY_WAIT_SECONDS } from './busy.js';
import { collapseWarnings, explicitAmiProblems, explicitAmiOwnerProblems, sharedGroupProblems } from './checks.js';
import { groupAmiProblems, ownershipVerdict, tagsOf, processVerdict, rootVolumeProblems, sharedTemplateVerdict } from './groups.js';
import { hookNames } from '../lifecycle/metadata.js';
import { groupClusterVerdict, talksToCluster, unknownClusterWarnings } from './kubernetes.js';
import { managedLabel, managedVersionProblems, selectNodegroups, type ManagedRef, type NodegroupTemplate } from './managed.js';
import { instanceProfileOf, launchTemplateGrantProblems, passRoleProblems, passRoleScoped, profileName } from './iam.js';
import { groupName, type NodeGroupPlan, type Proceed, type RunPlan, type VariantPlan } from './types.js';

export interface PlanContext {
  executionName: string;
  parameterPrefix: string;
  /** The stack's stage: names our lifecycle hooks (eks-windows-patch-<stage>-ready / -drain). */
  stage: string;
  /** Where the run itself lives: needed to find other active runs (one run per variant) and for console links. */
  execution?: { executionArn: string; startTime: string; stateMachineArn: string; region: string };
}

/**
 * Decides everything a run will do from what ReadAccount, ReadFleet and CheckAccess read (account.ts, fleet.ts,
 * access.ts), reading and writing nothing: the dry-run output and the real run's plan are the same object. Every
 * problem found is reported at once (PlanError), before any build starts.
 */
export function planRun(input: ExecutionInput, config: PipelineConfig, ctx: PlanContext, account: AccountFacts, fleet: FleetFacts, access: AccessFacts): RunPlan {
  const variants = selectedVariants(input, config);
  const problems: string[] = [];

  const explicit = (['baseAmi', 'amiId'] as const).flatMap((field) => (input[field] ? [{ field, id: input[field] as string }] : []));
  // Input validation allows an explicit AMI with exactly one variant; say so once, not per variant.
  for (const { field, id } of explicit) problems.push(...[...new Set(variants.flatMap((v) => explicitAmiProblems(field, id, fleet.amis[id], v)))]);
  const accountId = ctx.execution?.stateMachineArn.split(':')[4];
  for (const { field, id } of explicit) problems.push(...explicitAmiOwnerProblems(field, id, fleet.amis[id], accountId));

  const planned: VariantPlan[] = [];
  const upToDate: RunPlan['upToDate'] = [];
  const selected: { variantId: string; asgNames: string[] }[] = [];
  const nextVersions = new Map<string, string>();
  // Desired capacities size the waves once every variant is known (fleet-wide limits are shared); kept out of the plan.
  const pending: { plan: VariantPlan; groups: NodeGroupPlan[] }[] = [];
  const sizes = new Map<string, number>();
  const vcpus = new Map<string, number | undefined>();
  const managedSurges = new Map<string, number>();
  for (const variant of variants) {
    const param = sourceParameter(variant);
    const { published, lastBuilt, skip } = variantSource(variant, input, account, ctx.parameterPrefix);
    if (skip === 'unpublished') {
      problems.push(`variant ${variant.id}: AWS publishes no parameter ${param}; check windows/edition/kubernetes (is Kubernetes ${variant.kubernetes} supported for Windows Server ${variant.windows} ${variant.edition}?)`);
      continue;
    }
    if (skip === 'upToDate') {
      upToDate.push({ variantId: variant.id, sourceAmi: published as string });
      continue;
    }
    const images = [...config.images, ...variant.images];
    problems.push(...checkImagesForVariant(images, variant).map((p) => `variant ${variant.id}: ${p}`));
    const read = fleet.variants.find((f) => f.variantId === variant.id) as VariantFleet;
    const groups = planNodeGroups(variant, config, input, ctx.stage, ctx.execution?.region ?? 'this region', read, fleet, access, account);
    problems.push(...groups.problems);
    // input.nodeGroups naming only other variants' groups: this variant builds nothing and records nothing.
    if (input.nodeGroups && groups.selected.length === 0) continue;
    selected.push({ variantId: variant.id, asgNames: groups.selected });
    for (const [asg, next] of groups.next) nextVersions.set(asg, next);
    for (const [asg, n] of groups.sizes) sizes.set(asg, n);
    for (const [asg, n] of groups.vcpus) vcpus.set(asg, n);
    for (const [asg, n] of groups.managedSurges) managedSurges.set(asg, n);
    const refs = images.flatMap((i) => {
      try {
        return [parseImageReference(i.ref).canonical];
      } catch {
        return [];
      }
    });
    // Over Image Builder's 16,000-character inline limit the build would fail mid-run: refuse now.
    problems.push(...cacheComponentProblems(refs).map((p) => `variant ${variant.id}: ${p}`));
    const plan: VariantPlan = {
      id: variant.id,
      windows: variant.windows,
      edition: variant.edition,
      kubernetes: variant.kubernetes,
      sourceParameter: param,
      sourceAmi: input.baseAmi ?? published ?? (input.amiId as string),
      lastBuiltSourceAmi: lastBuilt,
      amiId: input.amiId ?? null,
      stages: Object.fromEntries(STAGES.map((s) => [s, input.stages.includes(s) && (s !== 'fastLaunch' || config.fastLaunch.enabled)])) as VariantPlan['stages'],
      images: refs,
      imagesDigest: imagesDigest(refs),
      waves: [],
      nodeGroupsLimited: groups.limited,
      warnings: groups.warnings,
      childName: makeName(ctx.executionName, variant.id),
    };
    planned.push(plan);
    pending.push({ plan, groups: groups.groups });
  }
  const rollingOut = pending.filter((p) => p.groups.length).length;
  // Other active runs: the ones sharing a variant hold this one (busyWith below); the others roll out beside it.
  const others = ctx.execution && planned.length ? account.activeRuns : [];
  // Refreshes that launch before they terminate, and every managed node group update (EKS scales up first), spend the
  // account's On-Demand vCPU quota: fit the rollout into its headroom (quota.ts).
  let rollout = config.rollout;
  const rollingGroups = pending.flatMap((p) => p.groups);
  if (rollingGroups.length) {
    const groupsAtOnce = rollingGroups.map((g) => {
      const surge = managedSurges.get(g.asgName);
      return { instances: sizes.get(g.asgName) ?? 0, vcpus: vcpus.get(g.asgName), name: groupName(g), ...(surge !== undefined ? { managedSurge: surge } : {}) };
    });
    const rolling = pending.filter((p) => p.groups.length);
    const canaries = rolling.map((p) => p.groups.filter((g) => g.canary).length);
    // Every variant of the run, also one with no group to roll out (its instances run beside the others'): its build when
    // the run builds, and Fast Launch's temporary instances whenever Fast Launch is on, a rollout-only run too (its AMI got
    // Fast Launch from the run that built it, last month's keeps it, and EC2 replenishes what their launches take).
    const reserved = pending.reduce((n, p) => n + reservedVcpus(config.imageBuilder.instanceTypes, config.fastLaunch.maxParallelLaunches, { build: p.plan.stages.build, fastLaunch: config.fastLaunch.enabled }), 0);
    const sharedWith = others.filter((o) => !o.dryRun).length;
    const fit = fitRolloutToQuota(rollout, groupsAtOnce, canaries, account.vcpuQuota, account.vcpuUsage, reserved, sharedWith);
    if (fit.problem) problems.push(fit.problem);
    for (const w of fit.warnings) for (const p of pending) if (p.groups.length) p.plan.warnings.push(w);
    rollout = fit.rollout;
  }
  for (const p of pending) {
    const fitted = fitWavesToState(p.plan.id, variantWaves(p.groups, sizes, rollout, rollingOut));
    Object.assign(p.plan, withHandOvers(fitted.waves, fitted.rounds, sizes, rollout, rollingOut), { rounds: fitted.rounds });
    // Once per variant: how much of its largest wave its Fast Launch snapshots can serve at once; a rollout-only run's AMI
    // has Fast Launch from the run that built it.
    const pool = config.fastLaunch.enabled ? fastLaunchPoolWarning(p.plan.waves, sizes, config.fastLaunch.targetResourceCount) : null;
    if (pool) p.plan.warnings.push(pool);
  }
  problems.push(...sharedGroupProblems(selected));
  if (input.nodeGroups) {
    const known = new Set(planned.flatMap((v) => v.waves.flat().flatMap((g) => [g.asgName, ...(g.managed ? [g.managed.nodegroup] : [])])));
    input.nodeGroups.forEach((n, i) => {
      if (!known.has(n)) problems.push(`input.nodeGroups[${i}]: "${n}" is not a node group of the selected variants`);
    });
  }
  // Once per cluster the run talks to (gate or our drain), listed with every other problem.
  const clusters = [...new Set(planned.flatMap((v) => v.waves.flat().flatMap((g) => (talksToCluster(g.kubernetes) ? [g.kubernetes.cluster] : []))))].sort();
  problems.push(...access.clusterProblems);
  if (problems.length) throw new PlanError(`The plan found ${problems.length} problem(s); nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);

  const busyWith = ctx.execution && planned.length ? blockingRuns({ executionName: ctx.executionName, startTime: ctx.execution.startTime, variants: planned.map((v) => v.id) }, others) : [];
  const waited = ctx.execution ? (Date.now() - Date.parse(ctx.execution.startTime)) / 1000 : 0;
  let proceed: Proceed = 'now';
  if (!planned.length && upToDate.length) proceed = 'skip';
  else if (busyWith.length) proceed = input.whenBusy === 'skip' || waited >= BUSY_GIVE_UP_SECONDS ? 'skip' : 'wait';
  const plan: Omit<RunPlan, 'notice'> = {
    executionName: ctx.executionName,
    trigger: input.trigger,
    reason: input.reason,
    dryRun: input.dryRun,
    variants: planned,
    upToDate,
    busyWith,
    proceed,
    waitSeconds: proceed === 'wait' ? BUSY_WAIT_SECONDS : 0,
    ...(clusters.length ? { lifecycleHooks: hookNames(ctx.stage) } : {}),
    warnings: [
      ...planned.flatMap((v) => v.warnings.map((w) => `${v.id}: ${w}`)),
      ...busyWith.map((b) => `run ${b.executionName} is active for ${b.variants.join(', ')}: this run ${input.whenBusy === 'skip' ? 'ends without changes' : 'waits for it'}`),
    ],
  };
  const where = ctx.execution ? { region: ctx.execution.region, executionArn: ctx.execution.executionArn, startTime: ctx.execution.startTime } : undefined;
  return { ...plan, notice: proceed === 'skip' && !input.dryRun ? skippedNotice(plan, where) : startNotice(plan, where, nextVersions) };
}

function planNodeGroups(variant: Variant, config: PipelineConfig, input: ExecutionInput, stage: string, region: string, read: VariantFleet, fleet: FleetFacts, access: AccessFacts, account: AccountFacts) {
  const problems: string[] = [];
  const warnings: string[] = [];
  problems.push(...read.missing.map((n) => `variant ${variant.id}: Auto Scaling group "${n}" was not found in this region`));
  problems.push(
    ...read.emptyTags.map((t) => `variant ${variant.id}: the node group selector tag ${t.key}=${t.value} matches no Auto Scaling group in this region: fix the tag in nodeGroups, or remove the selector`),
  );
  const selected = read.groups;
  const managed = planManagedNodeGroups(variant, input, region, account, read);
  problems.push(...managed.problems.map((p) => `variant ${variant.id}: ${p}`));
  warnings.push(...managed.warnings);
  const latest = (id: string) => fleet.templates[id]?.latest;
  const templateTags = (id: string) => fleet.templates[id]?.tags ?? {};
  const profileRole = (profile: string) => access.profileRoles[profile] ?? undefined;
  const everyGroup = read.everyGroup;
  const inRun = new Set(selected.map(({ asg }) => asg.AutoScalingGroupName as string));

  /** Planned groups with their selector's place in nodeGroups: the waves keep config order across both kinds. */
  const ordered: { order: number; group: NodeGroupPlan }[] = [];
  const next = new Map<string, string>();
  const sizes = new Map<string, number>();
  const vcpus = new Map<string, number | undefined>();
  const managedSurges = new Map<string, number>();
  const unknownCluster: string[] = [];
  for (const { asg, canary, selector: index, version: read, hooks } of selected) {
    const selector = variant.nodeGroups[index] as Variant['nodeGroups'][number];
    const ref = launchTemplateInUse(asg);
    const version = read ?? undefined;
    const name = asg.AutoScalingGroupName as string;
    const { cluster, k8s } = groupClusterVerdict(name, configuredCluster(variant, selector), tagsOf(asg), config.kubernetes, hooks, stage);
    // "No termination hook: not drained" is true only when the run does not add ours either.
    const drained = hooks.length > 0 || k8s.kubernetes?.drain === 'ours';
    const verdict = assessNodeGroup(asg, ref?.version, version, config.rollout.allowUnpinnedVersions, drained);
    const owned = ownershipVerdict(asg, version?.LaunchTemplateId ? templateTags(version.LaunchTemplateId) : {});
    const processes = processVerdict(asg);
    const shared =
      version?.LaunchTemplateId && ref
        ? sharedTemplateVerdict({ asgName: name, launchTemplateId: version.LaunchTemplateId, version: ref.version }, everyGroup, inRun, config.rollout.allowSharedUnpinnedTemplates)
        : { problems: [], warnings: [] };
    const imageId = version?.LaunchTemplateData?.ImageId;
    const ami = imageId ? fleet.amis[imageId] : undefined;
    const own = [
      ...(cluster.problem ? [cluster.problem] : []),
      ...k8s.problems,
      ...verdict.problems,
      ...owned.problems,
      ...processes.problems,
      ...shared.problems,
      ...(version && imageId ? groupAmiProblems(name, imageId, ami, variant) : []),
      ...(version ? rootVolumeProblems(name, version, ami?.rootDeviceName, config.imageBuilder.rootVolumeGiB) : []),
      ...(passRoleScoped(config) && instanceProfileOf(version) !== undefined
        ? passRoleProblems(`ASG ${name}`, profileName(instanceProfileOf(version) as string), profileRole(instanceProfileOf(version) as string), config.iam)
        : []),
      ...(version?.LaunchTemplateId ? launchTemplateGrantProblems(`ASG ${name}`, version.LaunchTemplateId, templateTags(version.LaunchTemplateId), config.iam) : []),
    ];
    problems.push(...own.map((p) => `variant ${variant.id}: ${p}`));
    if (!cluster.cluster && !cluster.problem && !k8s.problems.length) unknownCluster.push(name);
    warnings.push(...verdict.warnings, ...owned.warnings, ...processes.warnings, ...shared.warnings);
    if (own.length === 0 && version) {
      ordered.push({ order: index, group: { ...toPlan(asg, version), canary, ...(k8s.kubernetes ? { kubernetes: k8s.kubernetes } : {}) } });
      sizes.set(name, asg.DesiredCapacity ?? 0);
      vcpus.set(name, groupVcpus(asg, version));
      // Only the start/dry-run message shows it: kept out of the plan, which must fit the execution's 256 KB state.
      const last = latest(version.LaunchTemplateId as string);
      if (last !== undefined) next.set(asg.AutoScalingGroupName as string, String(last + 1));
    }
  }
  // Managed node groups: the checks of their launch template version and ASG that still apply
  // (AMI, root volume, suspended processes, CloudFormation); no lifecycle hooks, no unpinned versions.
  managed.found.forEach((m) => {
    const label = managedLabel(m.ref);
    const imageId = m.version.LaunchTemplateData?.ImageId as string;
    const ami = fleet.amis[imageId];
    const processes = processVerdict(m.asg);
    const stack = templateTags(m.template.launchTemplateId)['aws:cloudformation:stack-name'];
    const own = [
      ...groupAmiProblems(m.template.asgName, imageId, ami, variant),
      ...rootVolumeProblems(m.template.asgName, m.version, ami?.rootDeviceName, config.imageBuilder.rootVolumeGiB),
      ...processes.problems,
      ...launchTemplateGrantProblems(`ASG ${m.template.asgName}`, m.template.launchTemplateId, templateTags(m.template.launchTemplateId), config.iam),
    ];
    problems.push(...own.map((p) => `variant ${variant.id}: ${label}: ${p}`));
    warnings.push(
      ...processes.warnings.map((w) => `${label}: ${w}`),
      ...(stack !== undefined ? [`${label}: its launch template belongs to the CloudFormation stack ${stack}, so the next update of that stack writes the old AMI back; make the stack's AMI a parameter`] : []),
    );
    if (own.length) return;
    ordered.push({
      order: m.order,
      group: { asgName: m.template.asgName, managed: { ...m.ref }, launchTemplateId: m.template.launchTemplateId, version: m.template.version, canary: m.canary, imageId },
    });
    sizes.set(m.template.asgName, m.asg.DesiredCapacity ?? 0);
    vcpus.set(m.template.asgName, groupVcpus(m.asg, m.version));
    managedSurges.set(m.template.asgName, nodegroupSurge(m.asg.DesiredCapacity ?? 0, m.asg.AvailabilityZones?.length ?? 0, m.updateConfig));
    const last = latest(m.template.launchTemplateId);
    if (last !== undefined) next.set(m.template.asgName, String(last + 1));
  });
  const groups = ordered.sort((a, b) => a.order - b.order).map((o) => o.group);
  warnings.push(...unknownClusterWarnings(unknownCluster, config.kubernetes));
  const names = [...selected.map(({ asg }) => asg.AutoScalingGroupName as string), ...managed.selected];
  // The canary wave is what stops a bad AMI before the rest: without one, the first wave is the test.
  if (groups.length && !groups.some((g) => g.canary))
    warnings.push(
      config.rollout.waveSize !== undefined
        ? `no canary group: the first wave (${groups.slice(0, config.rollout.waveSize).map(groupName).join(', ')}) takes the new AMI first; mark a small group canary: true in nodeGroups`
        : 'no canary group: the first wave (the one group with the shortest refresh) takes the new AMI first; mark a small group canary: true in nodeGroups',
    );
  return {
    groups,
    problems,
    warnings: collapseWarnings(warnings, names),
    next,
    sizes,
    vcpus,
    managedSurges,
    selected: names,
    limited: selected.length < read.foundCount || managed.selectedCount < managed.configured,
  };
}

/**
 * The variant's managed node groups: what DescribeNodegroup alone decides (managed.ts selectNodegroups), then for those
 * that passed, their ASG (for suspended processes) and the launch template version they run. input.nodeGroups names a
 * managed node group by its node group name (or its ASG's name). `found` are those that passed every check so far; the
 * caller applies the AMI and root volume checks.
 */
function planManagedNodeGroups(variant: Variant, input: ExecutionInput, region: string, account: AccountFacts, read: VariantFleet) {
  const { configured, passed, problems, warnings, selected } = selectNodegroups(variant, input, account.nodegroups, region);
  const found: { ref: ManagedRef; canary: boolean; order: number; template: NodegroupTemplate; updateConfig: Nodegroup['updateConfig']; asg: AutoScalingGroup; version: LaunchTemplateVersion }[] = [];
  for (const p of passed) {
    const version = read.managed[p.template.asgName]?.version ?? undefined;
    const asg = read.managed[p.template.asgName]?.asg ?? undefined;
    const own = [
      ...managedVersionProblems(p.ref, p.template, version),
      ...(asg ? [] : [`${managedLabel(p.ref)}: its Auto Scaling group ${p.template.asgName} was not found in this region`]),
    ];
    problems.push(...own);
    if (!own.length && asg && version) found.push({ ...p, asg, version });
  }
  return { found, problems, warnings, selected, selectedCount: selected.length, configured };
}

function toPlan(asg: AutoScalingGroup, version: LaunchTemplateVersion): Omit<NodeGroupPlan, 'canary'> {
  return {
    asgName: asg.AutoScalingGroupName as string,
    launchTemplateId: version.LaunchTemplateId as string,
    version: String(version.VersionNumber),
    imageId: version.LaunchTemplateData?.ImageId ?? '',
  };
}

/** vCPUs of the largest instance a group may launch: its template's type, a mixed policy's overrides, its instances' types; undefined when any is unknown (InstanceRequirements included). */
function groupVcpus(asg: AutoScalingGroup, version: LaunchTemplateVersion): number | undefined {
  const overrides = asg.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? [];
  if (overrides.some((o) => o.InstanceRequirements !== undefined)) return undefined;
  const types = [version.LaunchTemplateData?.InstanceType, ...overrides.map((o) => o.InstanceType), ...(asg.Instances ?? []).map((i) => i.InstanceType)].filter((t): t is string => t !== undefined);
  const sizes = types.map(vcpusOf);
  return sizes.length === 0 || sizes.some((n) => n === undefined) ? undefined : Math.max(...(sizes as number[]));
}
