import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { ec2 } from '../aws/ec2.js';
import type { Rollout } from '../config.js';
import { WAVE_DEFAULTS } from '../config/waves.js';
import { AMIS_PER_VARIANT_DURING_ROLLOUT } from '../fastlaunch/quota.js';
import { batchSize } from '../rollout/deadline.js';
import { serviceQuotas } from '../aws/service-quotas.js';
import { withRetries } from '../aws/retry.js';

/**
 * The On-Demand vCPU quota a surge spends: Service Quotas, ServiceCode ec2, QuotaCode L-1216C47A ("Running On-Demand
 * Standard (A, C, D, H, I, M, R, T, Z) instances"), counted in vCPUs over the account's running and pending On-Demand
 * instances of the Region (EC2 User Guide, "On-Demand Instance quotas"). A launch over it fails with VcpuLimitExceeded,
 * and Auto Scaling's instance refresh fails on EC2 launch failures (StartInstanceRefresh API Reference).
 *
 * A refresh with MaxHealthyPercentage above 100 (the default 110, and rollout.surge's up to 200) launches before it
 * terminates (User Guide, "Instance maintenance policies"): those extra instances need headroom, the account's other
 * instances included. With MaxHealthyPercentage 100 a refresh terminates first and adds none.
 */
export const VCPU_QUOTA = { serviceCode: 'ec2', quotaCode: 'L-1216C47A' } as const;

/** The quota's value, or why it could not be read (AccessDeniedException, NoSuchResourceException, ...). */
export async function readVcpuQuota(): Promise<{ value: number } | { error: string }> {
  try {
    const out = await withRetries(() => serviceQuotas.send(new GetServiceQuotaCommand({ ServiceCode: VCPU_QUOTA.serviceCode, QuotaCode: VCPU_QUOTA.quotaCode })));
    const value = out.Quota?.Value;
    return typeof value === 'number' ? { value } : { error: 'GetServiceQuota returned no Value' };
  } catch (e) {
    return { error: e instanceof Error ? e.name : String(e) };
  }
}

/**
 * vCPUs of an instance type from its size (EC2 Instance Types guide, the M/C/R/T sizes: medium 1 (T: 2), large 2,
 * xlarge 4, Nxlarge 4N). Unknown sizes (metal, nano...) give undefined: the caller assumes no surge fits.
 */
export function vcpusOf(instanceType: string | undefined): number | undefined {
  const m = /^([a-z][a-z0-9-]*)\.(medium|large|xlarge|(\d+)xlarge)$/.exec(instanceType ?? '');
  if (!m) return undefined;
  if (m[2] === 'medium') return m[1]?.startsWith('t') ? 2 : 1;
  if (m[2] === 'large') return 2;
  return 4 * Number(m[3] ?? 1);
}

export interface SurgeFit {
  /** The fleet-wide extra-instance budget to plan with; 0: no surge. */
  maxExtraInstances: number;
  warning?: string;
}

/**
 * Fits rollout.surge's fleet-wide extra instances into the quota's headroom: (quota - usage) / vCPUs per extra instance.
 * `usageVcpus` is what the account already runs; `vcpusPerInstance` the largest of the surging groups' instance types
 * (undefined: unknown). A quota that cannot be read, or an unknown instance size, allows no surge (the safe choice).
 */
export function fitSurgeToQuota(budget: number, quota: { value: number } | { error: string }, usageVcpus: number, vcpusPerInstance: number | undefined): SurgeFit {
  const code = `${VCPU_QUOTA.serviceCode}/${VCPU_QUOTA.quotaCode}`;
  const fix = 'request an increase in Service Quotas, or lower rollout.surge.maxExtraInstances';
  if ('error' in quota)
    return { maxExtraInstances: 0, warning: `rollout.surge: the On-Demand vCPU quota ${code} could not be read (${quota.error}): no surge this run (the refreshes terminate before they launch); grant servicequotas:GetServiceQuota or remove rollout.surge` };
  if (vcpusPerInstance === undefined)
    return { maxExtraInstances: 0, warning: `rollout.surge: a surging group's instance type has no known vCPU count, so its extra instances cannot be fitted into ${code}: no surge this run` };
  const fits = Math.max(0, Math.floor((quota.value - usageVcpus) / vcpusPerInstance));
  if (fits >= budget) return { maxExtraInstances: budget };
  return {
    maxExtraInstances: fits,
    warning: `rollout.surge: the On-Demand vCPU quota ${code} is ${quota.value} vCPUs and the account uses ${usageVcpus} (with the refreshes' own extra instances): maxExtraInstances reduced from ${budget} to ${fits} (${vcpusPerInstance} vCPUs each); ${fix}`,
  };
}

/** Standard families (A, C, D, H, I, M, R, T, Z); Inf, Trn, DL, VT, Mac and HPC instances have quotas of their own. */
const STANDARD = /^(?!inf|trn|dl|vt|mac|hpc)[acdhimrtz]/;

/** vCPUs the account's running and pending On-Demand Standard instances use (DescribeInstances, every page), or why it could not be read. */
export async function readVcpuUsage(): Promise<{ vcpus: number } | { error: string }> {
  try {
    let vcpus = 0;
    let NextToken: string | undefined;
    do {
      const page = await withRetries(() => ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }], MaxResults: 1000, NextToken })));
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) vcpus += onDemandStandardVcpus(i);
      NextToken = page.NextToken;
    } while (NextToken);
    return { vcpus };
  } catch (e) {
    return { error: e instanceof Error ? e.name : String(e) };
  }
}

function onDemandStandardVcpus(i: Instance): number {
  if (i.InstanceLifecycle !== undefined || !STANDARD.test(i.InstanceType ?? '')) return 0;
  // The quota counts the type's vCPUs; CpuOptions can only lower the active ones (Optimize CPUs): the larger of the two.
  const { CoreCount, ThreadsPerCore } = i.CpuOptions ?? {};
  const active = CoreCount !== undefined ? CoreCount * (ThreadsPerCore ?? 1) : 0;
  return Math.max(active, vcpusOf(i.InstanceType) ?? (active || UNKNOWN_VCPUS));
}

/** vCPUs assumed for an instance type whose size gives none (metal and the like): the largest standard size planned for. */
export const UNKNOWN_VCPUS = 96;

/** Instances a group's refresh runs beside it at once: its batch beyond what MinHealthyPercentage lets go out of service, at least one when it may launch first. */
export function extraInstances(instances: number, r: Pick<Rollout, 'minHealthyPercentage' | 'maxHealthyPercentage'>): number {
  if ((r.maxHealthyPercentage ?? 100) <= 100 || instances <= 0) return 0;
  const outOfService = instances - Math.ceil((instances * r.minHealthyPercentage) / 100);
  return Math.max(0, batchSize(instances, r) - Math.max(0, outOfService));
}

/**
 * Extra instances a managed node group's update runs beside it. EKS User Guide, "Understand each phase of node updates":
 * the scale up phase raises the ASG's maximum and desired size by the larger of "up to twice the number of Availability
 * Zones that the Auto Scaling group is deployed in" and "the maximum unavailable of upgrade" and launches them before any
 * old node drains; the scale down phase lowers them only once no old node is left. So the whole surge is held from start
 * to end, whatever rollout's Min/MaxHealthyPercentage say. "Up to" read as all of it (users report a 1-node group growing
 * by 2 x its AZs). updateConfig (API Reference, "NodegroupUpdateConfig"): maxUnavailable, or maxUnavailablePercentage of
 * the group (rounded up), default one node, at most 100. A group with no instance launches nothing.
 */
export function nodegroupSurge(instances: number, availabilityZones: number, updateConfig: { maxUnavailable?: number; maxUnavailablePercentage?: number } | undefined): number {
  if (instances <= 0) return 0;
  const pct = updateConfig?.maxUnavailablePercentage;
  const maxUnavailable = updateConfig?.maxUnavailable ?? (pct !== undefined ? Math.ceil((instances * pct) / 100) : 1);
  return Math.max(2 * Math.max(1, availabilityZones), Math.min(100, Math.max(1, maxUnavailable)));
}

export interface RolloutFit {
  rollout: Rollout;
  warnings: string[];
  /** The groups that must refresh at once (each variant's canaries, or one group) do not fit: the plan refuses the run. */
  problem?: string;
}

/**
 * Fits the rollout into the quota's headroom (quota - the account's usage). The refreshes' and managed node group
 * updates' own extra instances first:
 * the groups refreshing at once (at most maxConcurrentGroups, or waveSize per variant) are fewest when the groups with the
 * most extra vCPUs meet, so their sum must fit; fewer groups at once when it does not. Then rollout.surge's budget into
 * what is left (fitSurgeToQuota), in whole shares per variant. A quota or usage that cannot be read keeps the default extras, allows no surge and says so.
 */
export function fitRolloutToQuota(
  rollout: Rollout,
  /**
   * Every group that rolls out; a managed node group's `managedSurge` (nodegroupSurge) replaces rollout's extra
   * instances. `name` names it in the messages when its instance size could not be read (vcpus undefined).
   */
  groups: readonly { instances: number; vcpus: number | undefined; managedSurge?: number; name?: string }[],
  /** Canary groups per variant that rolls out: each variant refreshes at least its canaries, or one group, at once. */
  canaries: readonly number[],
  quota: { value: number } | { error: string },
  usage: { vcpus: number } | { error: string },
  /** vCPUs the run's own image builds and Fast Launch temporary instances may run meanwhile (reservedVcpus). */
  reserved = 0,
  /** Other real runs active now (of other variants): each may launch as much, so this run takes an even share of the headroom. */
  sharedWith = 0,
): RolloutFit {
  const code = `${VCPU_QUOTA.serviceCode}/${VCPU_QUOTA.quotaCode}`;
  const { surge, ...withoutSurge } = rollout;
  const managed = groups.some((g) => g.managedSurge !== undefined);
  const launchFirst = rollout.maxHealthyPercentage > 100;
  if ('error' in quota || 'error' in usage) {
    const what = 'error' in quota ? `the quota ${code} could not be read (${quota.error})` : `the account's running instances could not be read (ec2:DescribeInstances: ${(usage as { error: string }).error})`;
    const why = [...(launchFirst ? [`MaxHealthyPercentage ${rollout.maxHealthyPercentage} launches before it terminates`] : []), ...(managed ? ['managed node group updates scale up first'] : [])];
    return { rollout: withoutSurge, warnings: [`rollout: ${what}: the refreshes${managed ? ' and managed node group updates' : ''} are not fitted into the On-Demand vCPU quota${surge ? ' and there is no surge this run' : ''}${why.length ? ` (${why.join('; ')})` : ''}; grant servicequotas:GetServiceQuota and ec2:DescribeInstances`] };
  }
  const used = usage.vcpus + reserved;
  const headroom = Math.floor((quota.value - used) / (1 + sharedWith));
  const variants = Math.max(1, canaries.length);
  // Groups with no extra instance never constrain: left out, so an account already at its quota still refreshes them.
  const extras = groups
    .map((g) => ({ vcpus: (g.managedSurge ?? extraInstances(g.instances, rollout)) * (g.vcpus ?? UNKNOWN_VCPUS), managed: g.managedSurge !== undefined, unknown: g.vcpus === undefined ? (g.name ?? 'a group') : undefined }))
    .filter((e) => e.vcpus > 0)
    .sort((a, b) => b.vcpus - a.vcpus);
  let fits = 0;
  let held = 0;
  while (fits < extras.length && held + (extras[fits] as { vcpus: number }).vcpus <= headroom) held += (extras[fits++] as { vcpus: number }).vcpus;
  // The groups that may refresh at once: each variant its share (never below one) or its canary wave, whichever is larger.
  const atOnce = (cap: number) => canaries.reduce((n, c) => n + Math.max(c, rollout.waveSize !== undefined ? cap : Math.max(1, Math.floor(cap / variants))), 0);
  const configured = rollout.waveSize ?? rollout.maxConcurrentGroups ?? WAVE_DEFAULTS.maxConcurrentGroups;
  /**
   * Why the largest `n` groups do not fit together, and the fixes that exist for them. A self-managed group has extra
   * instances only when it launches first (extraInstances: MaxHealthyPercentage above 100), so terminate-first is a way
   * out only then; a managed node group's update scales up whatever rollout says: a smaller updateConfig (never below
   * 2 x its Availability Zones) or fewer of them at once.
   */
  const explain = (n: number, fewer: string) => {
    const top = extras.slice(0, n);
    const selfManaged = top.some((e) => !e.managed);
    const updates = top.some((e) => e.managed);
    const unknown = [...new Set(top.flatMap((e) => (e.unknown !== undefined ? [e.unknown] : [])))];
    const why = [
      ...(selfManaged ? [`a refresh launches before it terminates (MaxHealthyPercentage ${rollout.maxHealthyPercentage})`] : []),
      ...(updates ? ["a managed node group update first scales up by max(2 x its Availability Zones, its updateConfig maxUnavailable / maxUnavailablePercentage) nodes, whatever rollout says"] : []),
    ].join(' and ');
    const size = unknown.length ? `; the instance size of ${unknown.join(', ')} could not be read (InstanceRequirements, or a size with no known vCPU count) and was counted at ${UNKNOWN_VCPUS} vCPUs per instance` : '';
    const fixes = [
      `request an increase of ${code} in Service Quotas`,
      ...(selfManaged ? ['set rollout.maxHealthyPercentage: 100 with minHealthyPercentage 90 or less (terminate before launch)'] : []),
      ...(updates ? [`give the managed node groups a smaller updateConfig maxUnavailable / maxUnavailablePercentage (the scale-up is never below 2 x the group's Availability Zones)${fewer}`] : []),
    ];
    return { selfManaged, updates, why, size, fix: fixes.join(', or ') };
  };
  const warnings: string[] = [];
  let fitted: Rollout = rollout;
  if (fits < extras.length && atOnce(configured) > fits) {
    let cap = configured;
    while (cap > 1 && atOnce(cap) > fits) cap--;
    if (atOnce(cap) > fits) {
      const e = explain(atOnce(cap), atOnce(cap) > 1 ? ', or fewer of them at once (fewer canary groups per variant, or fewer variants per run: input.variants)' : '');
      return { rollout, warnings: [], problem: `rollout: the On-Demand vCPU quota ${code} is ${quota.value} vCPUs and the account uses ${usage.vcpus}${reserved ? ` (+${reserved} for the run's image builds and Fast Launch)` : ''}: ${e.why}, and the ${atOnce(cap)} group(s) that must refresh at once (each variant's canaries, or one group) need more than the ${Math.max(0, headroom)} vCPUs left${sharedWith ? ` (this run's share beside ${sharedWith} other active run(s))` : ''}${e.size}; ${e.fix}` };
    }
    const reduced = rollout.waveSize !== undefined ? { waveSize: cap } : { maxConcurrentGroups: cap };
    fitted = { ...rollout, ...reduced };
    // The largest groups one past what fits: together they do not fit, which is why fewer refresh at once.
    const e = explain(fits + 1, '');
    const cause = [...(e.selfManaged ? [`MaxHealthyPercentage ${rollout.maxHealthyPercentage}`] : []), ...(e.updates ? ["managed node group updates' scale-up"] : [])].join('; ');
    warnings.push(`rollout: the On-Demand vCPU quota ${code} is ${quota.value} vCPUs and the account uses ${used}: ${Object.entries(reduced).map(([k, v]) => `${k} reduced to ${v}`).join('')} so that the groups refreshing at once fit their extra instances (${cause})${sharedWith ? ` in this run's share of the headroom beside ${sharedWith} other active run(s)` : ''}${e.size}; ${e.fix}`);
  }
  if (!surge) return { rollout: fitted, warnings };
  // Only self-managed groups surge (EKS sizes a managed node group's update itself).
  const known = groups.filter((g) => g.managedSurge === undefined).map((g) => g.vcpus);
  const largest = known.some((n) => n === undefined) ? undefined : Math.max(0, ...(known as number[]));
  // This run's share of the quota (all of it with no other active run).
  const s = fitSurgeToQuota(surge.maxExtraInstances, { value: used + headroom }, used + held, largest);
  if (s.warning) warnings.push(s.warning);
  // Each variant gets its share of the budget, never below one instance: a budget below one per variant surges nowhere.
  const budget = s.maxExtraInstances < variants ? 0 : Math.floor(s.maxExtraInstances / variants) * variants;
  const { surge: _dropped, ...rest } = fitted;
  return { rollout: budget > 0 ? { ...rest, surge: { ...surge, maxExtraInstances: budget } } : rest, warnings };
}

/**
 * vCPUs a variant's image build (the largest build instance type) and Fast Launch's temporary instances (the stack's Fast
 * Launch template: the first build type) may run during the run. EC2 User Guide, "Configure Windows fast launch": EC2
 * runs up to MaxParallelLaunches temporary instances per AMI to make its snapshots, and again to replenish each snapshot
 * a launch uses, so the new AMI's run through the whole rollout, not only before it. Last month's AMI keeps Fast Launch
 * until the rollout ends (AMIS_PER_VARIANT_DURING_ROLLOUT) and replenishes what its groups' launches (a scale-out, a
 * rollback) take: MaxParallelLaunches for each of the two. `stages.build`: the run builds; `stages.fastLaunch`: the
 * config's fastLaunch.enabled, not the run's fastLaunch stage, since a rollout-only run's AMI had Fast Launch enabled by
 * the run that built it and its launches are replenished all the same.
 */
export function reservedVcpus(instanceTypes: readonly string[], maxParallelLaunches: number, stages: { build: boolean; fastLaunch: boolean }): number {
  const of = (t: string | undefined) => vcpusOf(t) ?? UNKNOWN_VCPUS;
  return (stages.build ? Math.max(...instanceTypes.map(of)) : 0) + (stages.fastLaunch ? AMIS_PER_VARIANT_DURING_ROLLOUT * maxParallelLaunches * of(instanceTypes[0]) : 0);
}
