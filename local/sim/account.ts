import { serviceQuotasHandlers, surgeExtra, vcpuFailure, vcpusOfVersion, vcpuUsage } from './quotas.js';
import { autoscalingHandlers, asgView, ltTarget, requireAsg, takesSsmImage } from './autoscaling.js';
import { refreshStoppers, warmPoolHandlers } from './suspended.js';
import { awsError, MINUTE, obj, type AsgRec, type Ctx, type LtTarget, type MixedPolicyRec, type Handlers, type Input, type LtRec, type Output, type SimState } from './context.js';
import { ec2Handlers } from './ec2.js';
import { DEFAULT_INSTANCE_PROFILE } from './fleet.js';
import { iamHandlers } from './iam.js';
import { EksClusters, kubeletExtraArgs } from './eks.js';
import { fastLaunchHandlers, seedFastLaunch } from './fastlaunch.js';
import { DurationsSchema, type Durations, type Fault, type Fleet } from './fleet.js';
import { buildEndsAt, imagebuilderHandlers, imageStatus } from './imagebuilder.js';
import { DEFAULT_DISTRIBUTION, desiredMixedPolicy } from './mixed.js';
import { ACTIVE, evaluateRefresh, hookedRefreshes, latestRefresh, planRefresh, refreshesOf, refreshLaunches } from './refresh.js';
import { eventOf, liveHooks, simulateHooked, type ActionView, type AutoScalingEvent, type SimInstanceHistory } from './lifecycle.js';
import { completeExecution, sfnHandlers, type StartedExecution } from './sfn.js';
import { snsHandlers } from './sns.js';
import { nodegroupLaunches, seedNodegroups } from './nodegroups.js';
import { ssmHandlers } from './ssm.js';
import { s3Handlers, type S3ObjectRec } from './s3.js';
import type { SimulatedCluster } from './kubernetes/index.js';

export type ServiceName = 'EC2' | 'AutoScaling' | 'Imagebuilder' | 'SSM' | 'SNS' | 'SFN' | 'EKS' | 'IAM' | 'S3' | 'ServiceQuotas';
export type { StartedExecution, AutoScalingEvent, SimInstanceHistory };

export interface LifecycleActionRecord {
  token: string;
  asgName: string;
  hookName: string;
  instanceId: string;
  transition: string;
  startedAt: string;
  completedAt?: string;
  result?: 'CONTINUE' | 'ABANDON';
  by: 'call' | 'timeout' | 'deleteHook';
}

export interface SimulatedAccountOptions {
  fleet: Fleet;
  faults?: Fault[];
  durations?: Partial<Durations>;
  random?: () => number;
  /** The account's clock (default Date.now); a rehearsal stops it at the simulated end of the run. */
  now?: () => number;
}

/** A small deterministic PRNG (mulberry32) so throttling is reproducible without a seed from the caller. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const B64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * Auto Scaling API Reference, "RefreshPreferences": CheckpointDelay and BakeTime are 0–172800 seconds;
 * ScaleInProtectedInstances is Refresh | Ignore | Wait and StandbyInstances Terminate | Ignore | Wait. CheckpointDelay is
 * documented only with CheckpointPercentages: alone it is refused here (the stricter reading).
 */
function refusedPreference(prefs: Record<string, unknown>): void {
  const seconds = (key: string) => {
    const v = prefs[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 172_800)) throw awsError('ValidationError', `${key} must be 0 to 172800 seconds.`);
  };
  seconds('CheckpointDelay');
  seconds('BakeTime');
  if (prefs.CheckpointDelay !== undefined && !Array.isArray(prefs.CheckpointPercentages)) throw awsError('ValidationError', 'CheckpointDelay needs CheckpointPercentages.');
  const oneOf = (key: string, allowed: string[]) => {
    const v = prefs[key];
    if (v !== undefined && (typeof v !== 'string' || !allowed.includes(v))) throw awsError('ValidationError', `${key} must be one of ${allowed.join(', ')}.`);
  };
  oneOf('ScaleInProtectedInstances', ['Refresh', 'Ignore', 'Wait']);
  oneOf('StandbyInstances', ['Terminate', 'Ignore', 'Wait']);
}

export class SimulatedAccount {
  readonly region: string;
  readonly accountId: string;
  readonly faults: Fault[];
  readonly durations: Durations;
  readonly random: () => number;
  private readonly state: SimState;
  private readonly ctx: Ctx;
  private readonly handlers: Record<ServiceName, Handlers>;
  private starter: ((e: StartedExecution) => void) | undefined;
  private requests = 0;
  /** EKS clusters and their Kubernetes APIs (eks.ts). */
  readonly eks: EksClusters;
  private readonly listeners: ((event: AutoScalingEvent) => void)[] = [];
  /** Tokens whose wait-state event was delivered (not state: delivery is an effect, not a fact of the account). */
  private readonly delivered = new Set<string>();
  private timer: unknown;
  /** The stack's buckets (created with the stack) and their objects by `<bucket>/<key>`. */
  private readonly buckets = new Set<string>();
  readonly objects = new Map<string, S3ObjectRec>();

  constructor(opts: SimulatedAccountOptions) {
    const { fleet } = opts;
    this.region = fleet.region;
    this.accountId = fleet.accountId;
    this.faults = opts.faults ?? [];
    const durations = DurationsSchema.parse(opts.durations ?? {});
    // An instance leaves Pending (durations.instanceBoot) before its batch's launch time is over (the rest is warm-up). A
    // scenario that shortens instanceLaunch below the default boot time without naming one boots in half its launch time.
    if (opts.durations?.instanceBoot === undefined && durations.instanceBoot >= durations.instanceLaunch) durations.instanceBoot = durations.instanceLaunch / 2;
    if (durations.instanceBoot >= durations.instanceLaunch) throw new Error('durations.instanceBoot must be less than durations.instanceLaunch');
    this.durations = durations;
    this.random = opts.random ?? seeded(42);
    const clock = opts.now ?? (() => Date.now());
    const now = clock();
    this.state = {
      counter: 0,
      amis: {},
      tags: {},
      ssm: {},
      launchTemplates: {},
      instanceProfiles: {},
      asgs: {},
      nodegroups: {},
      refreshes: [],
      fastLaunch: {},
      components: {},
      recipes: {},
      images: {},
      deregistered: {},
      deletedSnapshots: {},
      deletedImageBuilder: {},
      tokens: {},
      faultUses: {},
      published: [],
      executions: [],
    };
    const state = this.state;
    this.ctx = {
      state,
      region: this.region,
      accountId: this.accountId,
      durations: this.durations,
      faults: this.faults,
      startedAt: now,
      now: clock,
      nextId: (prefix, digits = 17) => `${prefix}${(++state.counter).toString(16).padStart(digits, '0')}`,
      requestId: () => `00000000-0000-4000-9000-${(++this.requests).toString(16).padStart(12, '0')}`,
      takeFault: (index) => {
        const f = this.faults[index];
        if (!f) return false;
        const used = state.faultUses[index] ?? 0;
        const limit = 'times' in f && typeof f.times === 'number' ? f.times : Infinity;
        if (used >= limit) return false;
        state.faultUses[index] = used + 1;
        return true;
      },
    };
    this.seed(fleet, now);
    this.handlers = {
      EC2: { ...ec2Handlers(this.ctx), ...fastLaunchHandlers(this.ctx) },
      AutoScaling: { ...autoscalingHandlers(this.ctx, (asg, input) => this.startRefresh(asg, input)), ...warmPoolHandlers(this.ctx) },
      Imagebuilder: imagebuilderHandlers(this.ctx),
      IAM: iamHandlers(this.ctx),
      SSM: ssmHandlers(this.ctx),
      SNS: snsHandlers(this.ctx),
      SFN: sfnHandlers(this.ctx, () => this.starter),
      EKS: {},
      S3: s3Handlers(this.ctx, this.buckets, this.objects),
      ServiceQuotas: serviceQuotasHandlers(this.ctx),
    };
    // The cluster learns of instances from the Auto Scaling history (times in ms for its arithmetic).
    const ms = (t: string | undefined) => (t === undefined ? undefined : Date.parse(t));
    this.eks = new EksClusters(this.ctx, fleet, this.faults, () =>
      this.instanceHistory().map(({ terminatedAt, ...h }) => ({ ...h, launchedAt: ms(h.launchedAt) as number, bootedAt: ms(h.bootedAt) as number, ...(terminatedAt ? { terminatedAt: ms(terminatedAt) as number } : {}) })),
    );
    this.handlers.EKS = this.eks.handlers();
    this.eks.start();
  }

  private seed(fleet: Fleet, now: number): void {
    const s = this.state;
    for (const a of fleet.amis) s.amis[a.id] = { id: a.id, name: a.name, platform: a.platform, ...(a.owner ? { owner: a.owner } : {}), createdAt: a.creationDate ? Date.parse(a.creationDate) : now - 30 * 24 * 60 * MINUTE };
    for (const a of fleet.amis) if (a.tags) s.tags[a.id] = { ...a.tags };
    for (const a of fleet.amis) if (a.fastLaunch) seedFastLaunch(this.ctx, a.id, (s.amis[a.id] as { createdAt: number }).createdAt, a.fastLaunch);
    // SSM User Guide, "Native parameter support for Amazon Machine Image IDs": */image_id parameters carry DataType
    // aws:ec2:image (the EKS optimized AMI parameters do).
    for (const [name, value] of Object.entries(fleet.ssmParameters)) {
      const dataType = name.endsWith('/image_id') ? 'aws:ec2:image' : 'text';
      s.ssm[name] = { value, type: 'String', dataType, version: 1, lastModified: now };
    }
    for (const p of fleet.instanceProfiles) s.instanceProfiles[p.name] = { name: p.name, role: p.role };
    for (const lt of fleet.launchTemplates) {
      for (const v of lt.versions)
        if (v.imageId?.startsWith('resolve:ssm:') && !s.ssm[v.imageId.slice(12)]) throw new Error(`launch template ${lt.name}: SSM parameter ${v.imageId.slice(12)} is not in the fleet`);
      const id = this.ctx.nextId('lt-');
      if (lt.defaultVersion > lt.versions.length) throw new Error(`launch template ${lt.name}: defaultVersion ${lt.defaultVersion} does not exist`);
      const ltTags = lt.tags ?? { 'eks-windows-patch:node-template': 'true' };
      if (Object.keys(ltTags).length) s.tags[id] = { ...ltTags };
      s.launchTemplates[id] = {
        id,
        name: lt.name,
        defaultVersion: lt.defaultVersion,
        createTime: now,
        versions: lt.versions.map((v, i) => ({
          versionNumber: i + 1,
          createTime: now,
          data: {
            ...(v.imageId !== undefined ? { ImageId: v.imageId } : {}),
            InstanceType: v.instanceType,
            // EC2 API Reference, LaunchTemplateIamInstanceProfileSpecification: the node role, by name.
            ...(v.instanceProfile !== null ? { IamInstanceProfile: { Name: v.instanceProfile ?? DEFAULT_INSTANCE_PROFILE } } : {}),
            // EC2 User Guide, "Configure the instance metadata options": IMDSv2 required, hop limit 2 (EKS nodes' usual settings).
            MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
            ...(v.userData ? { UserData: B64(`<powershell>\n& $env:ProgramFiles\\Amazon\\EKS\\Start-EKSBootstrap.ps1 -EKSClusterName ${lt.name}${v.kubelet ? kubeletExtraArgs(v.kubelet) : ''}\n</powershell>\n`) } : {}),
            // A root-volume override makes launches ignore Fast Launch's pre-provisioned snapshots.
            ...(v.rootVolumeOverride || v.rootVolumeGiB !== undefined
              ? { BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: v.rootVolumeGiB ?? 100, VolumeType: 'gp3', DeleteOnTermination: true } }] }
              : {}),
          },
        })),
      };
    }
    // The first template of each name (what a find over s.launchTemplates returns), looked up once per group.
    const ltByName = new Map<string, LtRec>();
    for (const l of Object.values(s.launchTemplates)) if (!ltByName.has(l.name)) ltByName.set(l.name, l);
    for (const g of fleet.autoScalingGroups) {
      const ltName = g.launchTemplate ?? g.name;
      const lt = ltByName.get(ltName);
      if (!lt) throw new Error(`auto scaling group ${g.name}: launch template ${ltName} is not in the fleet`);
      const target = ltTarget(this.ctx, { id: lt.id, version: g.version });
      const prot = g.protectedInstances ?? 0;
      const standby = g.standbyInstances ?? 0;
      if (prot + standby > g.instances) throw new Error(`auto scaling group ${g.name}: protectedInstances + standbyInstances exceed its ${g.instances} instances`);
      const asg: AsgRec = {
        name: g.name,
        arn: `arn:aws:autoscaling:${this.region}:${this.accountId}:autoScalingGroup:${this.ctx.nextId('', 8)}-0000-4000-8000-000000000000:autoScalingGroupName/${g.name}`,
        ltId: lt.id,
        version: g.version,
        mixed: g.mixedInstancesPolicy !== false,
        ...(g.mixedInstancesPolicy !== false ? { mixedPolicy: this.seedMixedPolicy(g.name, g.mixedInstancesPolicy) } : {}),
        minSize: g.minSize ?? g.instances,
        maxSize: g.maxSize ?? Math.max(1, g.instances * 2),
        desired: g.instances,
        // A self-managed node group's ASG as eksctl tags it (alpha.eksctl.io/cluster-name, alpha.eksctl.io/nodegroup-name,
        // kubernetes.io/cluster/<name>: owned, as the Kubernetes AWS cloud provider reads it). Not eks:cluster-name: EKS puts
        // that (with eks:nodegroup-name) on managed node groups' ASGs only ("Managed node groups" › tags), and the plan
        // refuses those; a scenario that wants a managed group gives the tags itself.
        tags: { ...(g.cluster ? { 'alpha.eksctl.io/cluster-name': g.cluster, 'alpha.eksctl.io/nodegroup-name': g.name, [`kubernetes.io/cluster/${g.cluster}`]: 'owned' } : {}), ...g.tags },
        terminationHook: g.terminationHook,
        ...(g.suspendedProcesses?.length ? { suspendedProcesses: [...g.suspendedProcesses] } : {}),
        ...(g.warmPool ? { warmPool: true } : {}),
        createdTime: now,
        instances: Array.from({ length: g.instances }, (_, n) => ({
          instanceId: this.ctx.nextId('i-'),
          ltId: lt.id,
          version: g.version,
          versionNumber: target.versionNumber,
          imageId: target.imageId,
          ...(n < prot ? { protected: true } : {}),
          ...(n >= prot && n < prot + standby ? { standby: true } : {}),
        })),
      };
      s.asgs[g.name] = asg;
    }
    seedNodegroups(this.ctx, fleet, now);
    s.otherVcpus = fleet.otherOnDemandVcpus ?? 0;
    // The On-Demand vCPU quota (quotas.ts); absent: 2 x the fleet's vCPUs + the stack's + 256, as fleet.ts states.
    s.vcpuQuota = fleet.onDemandVcpuQuota ?? 2 * vcpuUsage(this.ctx, now) + (fleet.stackVcpus ?? 0) + 256;
    if (fleet.serviceQuotasAccessDenied) s.vcpuQuotaDenied = true;
    this.faults.forEach((f) => {
      if (f.kind !== 'refreshInProgress') return;
      const asg = s.asgs[f.asgName];
      if (!asg) throw new Error(`fault refreshInProgress: auto scaling group ${f.asgName} is not in the fleet`);
      const target = asgView(this.ctx, asg, now).target;
      const r = planRefresh(this.ctx, { id: this.refreshId(), asg, instances: asg.instances, previous: target, desired: target, preferences: {} });
      s.refreshes.push({ ...r, start: now, external: { end: now + f.minutes * MINUTE }, newIds: [] });
    });
  }

  private seedMixedPolicy(asgName: string, p: Exclude<Fleet['autoScalingGroups'][number]['mixedInstancesPolicy'], false>): MixedPolicyRec {
    if (p === true) return { overrides: [], distribution: { ...DEFAULT_DISTRIBUTION } };
    return {
      overrides: p.overrides.map((o) => {
        if (!o.launchTemplate) return { InstanceType: o.instanceType };
        const lt = Object.values(this.state.launchTemplates).find((l) => l.name === o.launchTemplate);
        if (!lt) throw new Error(`auto scaling group ${asgName}: override launch template ${o.launchTemplate} is not in the fleet`);
        return { InstanceType: o.instanceType, LaunchTemplateSpecification: { LaunchTemplateId: lt.id, Version: String(lt.defaultVersion) } };
      }),
      distribution: {
        ...DEFAULT_DISTRIBUTION,
        OnDemandBaseCapacity: p.onDemandBaseCapacity,
        OnDemandPercentageAboveBaseCapacity: p.onDemandPercentageAboveBaseCapacity,
        SpotAllocationStrategy: p.spotAllocationStrategy,
      },
    };
  }

  /**
   * EC2 fails a launch whose root block device mapping is smaller than the AMI's root snapshot (EC2 user guide, "Block
   * device mappings": the volume size must be at least the snapshot size; RunInstances error InvalidBlockDeviceMapping,
   * "Volume of size N GB is smaller than snapshot, expect size >= M GB"). Every launch of the refresh fails, so it fails
   * before its first batch. An AMI our Image Builder built has the recipe's root size; a seeded one 50 GiB (the EKS
   * optimized Windows AMIs' root snapshot size: the stricter reading).
   */
  private rootVolumeFailure(desired: LtTarget): { atPercent: number; reason: string } | undefined {
    const version = this.state.launchTemplates[desired.ltId]?.versions.find((v) => v.versionNumber === desired.versionNumber);
    const root = (Array.isArray(version?.data.BlockDeviceMappings) ? (version.data.BlockDeviceMappings as Record<string, unknown>[]) : []).find((m) => m.DeviceName === '/dev/sda1');
    const size = obj(root?.Ebs)?.VolumeSize;
    if (typeof size !== 'number') return undefined;
    const image = Object.values(this.state.images).find((i) => i.amiId === desired.imageId);
    const recipe = image ? this.state.recipes[image.recipeArn] : undefined;
    const recipeRoot = (Array.isArray(recipe?.raw.blockDeviceMappings) ? (recipe.raw.blockDeviceMappings as Record<string, unknown>[]) : []).find((m) => m.deviceName === '/dev/sda1');
    const snapshot = obj(recipeRoot?.ebs)?.volumeSize;
    const snapshotGiB = typeof snapshot === 'number' ? snapshot : 50;
    if (size >= snapshotGiB) return undefined;
    return { atPercent: 0, reason: `Instance failed to launch: Volume of size ${size} GB is smaller than snapshot of AMI ${desired.imageId}, expect size >= ${snapshotGiB} GB (InvalidBlockDeviceMapping).` };
  }

  // Auto Scaling API Reference, StartInstanceRefresh: InstanceRefreshId is a UUID.
  private refreshId(): string {
    const h = this.ctx.nextId('', 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  private startRefresh(asg: AsgRec, input: Input): string {
    // Knowingly simplified (stricter than AWS, which accepts it and lets EKS and the refresh fight over the group): an
    // instance refresh of a managed node group's ASG is refused; EKS updates it (UpdateNodegroupVersion, nodegroups.ts).
    if (asg.nodegroup !== undefined) throw awsError('ValidationError', `${asg.name} belongs to EKS managed node group ${asg.nodegroup}: update it with UpdateNodegroupVersion (the simulation does not model an instance refresh of it).`);
    const ctx = this.ctx;
    // Auto Scaling User Guide, "How an instance refresh works": Rolling (default) or ReplaceRootVolume. Only Rolling is
    // modelled; the simulation refuses ReplaceRootVolume (stricter than AWS, which accepts it for qualifying groups).
    if (input.Strategy !== undefined && input.Strategy !== 'Rolling') throw awsError('ValidationError', `Strategy ${String(input.Strategy)} is not supported by the simulation.`);
    const last = latestRefresh(ctx, asg.name);
    // Auto Scaling API Reference, StartInstanceRefresh, Errors: InstanceRefreshInProgress (SDK InstanceRefreshInProgressFault)
    // "The request failed because an active instance refresh already exists for the specified Auto Scaling group".
    if (last && ACTIVE.has(evaluateRefresh(last, ctx.now(), ctx).status))
      throw awsError('InstanceRefreshInProgressFault', `An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.`);
    const prefs = obj(input.Preferences) ?? {};
    const min = typeof prefs.MinHealthyPercentage === 'number' ? prefs.MinHealthyPercentage : 90;
    const max = typeof prefs.MaxHealthyPercentage === 'number' ? prefs.MaxHealthyPercentage : 100;
    // Auto Scaling API Reference, "RefreshPreferences": MinHealthyPercentage 0–100, MaxHealthyPercentage 100–200, "the
    // difference between them cannot be greater than 100".
    if (min < 0 || min > 100 || max < 100 || max > 200 || max - min > 100)
      throw awsError('ValidationError', 'MinHealthyPercentage must be 0-100, MaxHealthyPercentage 100-200, and at most 100 apart.');
    refusedPreference(prefs);
    // Fold the previous (finished) refresh into the group before starting the next one.
    const view = asgView(ctx, asg);
    asg.instances = view.instances;
    asg.ltId = view.target.ltId;
    asg.version = view.target.version;
    if (view.mixedPolicy) asg.mixedPolicy = view.mixedPolicy;
    else delete asg.mixedPolicy;
    asg.mixed = view.mixedPolicy !== undefined;
    // Auto Scaling API Reference, "DesiredConfiguration": a LaunchTemplate or a MixedInstancesPolicy whose
    // LaunchTemplateSpecification names the template; an unknown template or version fails the start (ValidationError).
    const desiredConfiguration = obj(input.DesiredConfiguration);
    const spec = obj(desiredConfiguration?.LaunchTemplate) ?? obj(obj(obj(desiredConfiguration?.MixedInstancesPolicy)?.LaunchTemplate)?.LaunchTemplateSpecification);
    let desired = view.target;
    if (spec) {
      try {
        desired = ltTarget(ctx, { id: spec.LaunchTemplateId, name: spec.LaunchTemplateName, version: spec.Version ?? '$Default' });
      } catch (e) {
        throw awsError('ValidationError', `DesiredConfiguration launch template is not valid: ${(e as Error).message}`);
      }
    }
    // Auto Scaling API Reference, "RefreshPreferences" AutoRollback: "A rollback is not supported in the following situations:
    // There is no desired configuration specified ... uses a Systems Manager parameter instead of an AMI ID ... uses the
    // launch template's $Latest or $Default version" (IrreversibleInstanceRefresh, SDK IrreversibleInstanceRefreshFault).
    if (prefs.AutoRollback === true) {
      // AWS can only roll back to an explicit version it can return to.
      const moving = (v: string) => v === '$Latest' || v === '$Default';
      // An SSM ImageId (on the group now or in the desired version) is resolved at launch: there is no AMI to return to.
      if (!spec || moving(view.target.version) || moving(desired.version) || takesSsmImage(ctx, view.target) || takesSsmImage(ctx, desired))
        throw awsError('IrreversibleInstanceRefreshFault', 'The request failed because a desired configuration was not found or an incompatible launch template (uses a Systems Manager parameter instead of an AMI ID) or launch template version ($Latest or $Default) is present on the Auto Scaling group.');
    }
    // The whole policy is validated at start, not at the end (StartInstanceRefresh API reference, DesiredConfiguration).
    if (desiredConfiguration) desiredMixedPolicy(ctx, desiredConfiguration);
    // Injected faults (fleet.ts): refreshFailure fails at a given percentage, as an EC2 launch failure or failed health check
    // would (Auto Scaling API Reference, StartInstanceRefresh: "An instance refresh might fail for several reasons").
    const fi = this.faults.findIndex((f) => f.kind === 'refreshFailure' && f.asgName === asg.name);
    const fault = this.faults[fi];
    // A refresh with MaxHealthyPercentage above 100 (surge, or the product's default 110) launches its extra instances first: they count against the vCPU quota (quotas.ts).
    const extra = surgeExtra(view.instances.length, prefs, view.instances.length);
    const failure = this.rootVolumeFailure(desired) ?? vcpuFailure(ctx, extra, vcpusOfVersion(ctx, desired.ltId, desired.versionNumber)) ?? (fault?.kind === 'refreshFailure' && ctx.takeFault(fi) ? { atPercent: fault.atPercent, reason: fault.reason } : undefined);
    const r = planRefresh(ctx, {
      id: this.refreshId(),
      asg,
      instances: view.instances,
      previous: view.target,
      desired,
      preferences: prefs,
      ...(desiredConfiguration ? { desiredConfiguration } : {}),
      ...(failure ? { failure } : {}),
    });
    if (extra > 0) r.surgeExtra = extra;
    // Launch, Terminate or InstanceRefresh suspended: AWS accepts the refresh, which then replaces nothing (local/sim/suspended.ts).
    // Amazon EC2 Auto Scaling User Guide, "How lifecycle hooks work" / "Use an instance refresh ... lifecycle hooks": the
    // group's lifecycle hooks apply to the instances a refresh launches and terminates. A refresh that starts with our hooks
    // on the group is driven event by event (lifecycle.ts). NOTE more forgiving than AWS: hooks put after a refresh started
    // without any do not apply to it.
    const stopped = refreshStoppers(asg).length > 0;
    const hooked = !stopped && liveHooks(asg, ctx.now()).length > 0;
    this.state.refreshes.push(stopped ? { ...r, external: { end: Number.MAX_SAFE_INTEGER } } : hooked ? { ...r, hooked: true, inputs: [] } : r);
    return r.id;
  }

  async call(service: ServiceName, operation: string, input: Record<string, unknown>): Promise<Output> {
    const handler = this.handlers[service]?.[operation];
    if (!handler) throw new Error(`SimulatedAccount does not implement ${service}.${operation}`);
    const out = handler(input ?? {});
    if (service === 'AutoScaling' && !operation.startsWith('Describe')) this.replan();
    return out;
  }

  /**
   * Calls `listener` with the EventBridge event (User Guide, "Amazon EventBridge events for Auto Scaling") at the simulated
   * moment an instance enters Pending:Wait / Terminating:Wait for one of the hooks put by PutLifecycleHook.
   */
  onEvent(listener: (event: AutoScalingEvent) => void): void {
    this.listeners.push(listener);
    this.replan();
  }

  /** Every action of every hooked refresh, projected (completions in the future are timeouts to come). */
  private allActions(now: number): ActionView[] {
    return hookedRefreshes(this.ctx).flatMap((r) => {
      const asg = this.state.asgs[r.asgName];
      return asg ? simulateHooked(this.ctx, r, asg, now).actions : [];
    });
  }

  /** Re-plans the next event delivery (after every write and every delivery), on the clock's setTimeout looked up now. */
  private replan(): void {
    if (this.timer !== undefined) globalThis.clearTimeout(this.timer as ReturnType<typeof setTimeout>);
    this.timer = undefined;
    if (this.listeners.length === 0) return;
    const now = this.ctx.now();
    const next = this.allActions(now)
      .filter((a) => !this.delivered.has(a.token))
      .reduce((m, a) => Math.min(m, a.startedAt), Infinity);
    if (!Number.isFinite(next)) return;
    const h = globalThis.setTimeout(() => this.deliver(), Math.max(0, next - now));
    (h as { unref?: () => void }).unref?.();
    this.timer = h;
  }

  private deliver(): void {
    this.timer = undefined;
    const now = this.ctx.now();
    const due = this.allActions(now)
      .filter((a) => a.startedAt <= now && !this.delivered.has(a.token))
      .sort((x, y) => x.startedAt - y.startedAt);
    for (const a of due) {
      this.delivered.add(a.token);
      const asg = this.state.asgs[a.asgName];
      if (!asg) continue;
      const event = eventOf(this.ctx, asg, a);
      for (const l of this.listeners) l(structuredClone(event));
    }
    this.replan();
  }

  /** Every instance ever launched by any group, as of now (scenario instances launched and booted a day before the start). */
  instanceHistory(): SimInstanceHistory[] {
    const now = this.ctx.now();
    const iso = (t: number) => new Date(t).toISOString();
    const out: SimInstanceHistory[] = [];
    for (const asg of Object.values(this.state.asgs)) {
      const refreshes = refreshesOf(this.ctx, asg.name);
      const byId = new Map<string, SimInstanceHistory & { t: { launched: number; booted: number; terminated?: number } }>();
      const seedLaunch = asg.createdTime - 24 * 60 * MINUTE;
      for (const i of refreshes[0]?.instancesAtStart ?? asg.instances)
        byId.set(i.instanceId, {
          instanceId: i.instanceId, asgName: asg.name, imageId: i.imageId, ltId: i.ltId, versionNumber: i.versionNumber,
          launchedAt: iso(seedLaunch), bootedAt: iso(seedLaunch + this.durations.instanceBoot * MINUTE), lifecycleState: '',
          t: { launched: seedLaunch, booted: seedLaunch + this.durations.instanceBoot * MINUTE },
        });
      for (const r of refreshes) {
        const { launches, oldEnds } = refreshLaunches(this.ctx, r, now);
        for (const l of launches) {
          if (l.launchedAt > now) continue;
          byId.set(l.instanceId, {
            instanceId: l.instanceId, asgName: asg.name, imageId: l.cfg.imageId, ltId: l.cfg.ltId, versionNumber: l.cfg.versionNumber,
            launchedAt: iso(l.launchedAt), bootedAt: iso(l.bootedAt), lifecycleState: '',
            t: { launched: l.launchedAt, booted: l.bootedAt, ...(l.terminatedAt !== undefined ? { terminated: l.terminatedAt } : {}) },
          });
        }
        for (const [idx, end] of oldEnds) {
          const e = byId.get(r.instancesAtStart[idx]?.instanceId ?? '');
          if (e && e.t.terminated === undefined) e.t.terminated = end;
        }
      }
      // A managed node group's instances come and go with its updates (nodegroups.ts).
      const ng = asg.nodegroup !== undefined ? this.state.nodegroups[asg.nodegroup] : undefined;
      if (ng) {
        const { launches, ends } = nodegroupLaunches(this.ctx, ng);
        for (const l of launches) {
          if (l.launchedAt > now) continue;
          byId.set(l.instanceId, {
            instanceId: l.instanceId, asgName: asg.name, imageId: l.cfg.imageId, ltId: l.cfg.ltId, versionNumber: l.cfg.versionNumber,
            launchedAt: iso(l.launchedAt), bootedAt: iso(l.bootedAt), lifecycleState: '',
            t: { launched: l.launchedAt, booted: l.bootedAt },
          });
        }
        for (const [id, end] of ends) {
          const e = byId.get(id);
          if (e && e.t.terminated === undefined) e.t.terminated = end;
        }
      }
      const live = new Map(asgView(this.ctx, asg, now).instances.map((i) => [i.instanceId, i]));
      for (const { t, ...e } of byId.values()) {
        const cur = live.get(e.instanceId);
        const gone = t.terminated !== undefined && t.terminated <= now;
        out.push({
          ...e,
          ...(gone ? { terminatedAt: iso(t.terminated ?? now) } : {}),
          lifecycleState: gone ? 'Terminated' : cur ? (cur.lifecycleState ?? (cur.standby === true ? 'Standby' : 'InService')) : now < t.booted ? 'Pending' : 'InService',
        });
      }
    }
    return out;
  }

  /** Every lifecycle action of our hooks that has started, as of now. */
  lifecycleActions(): LifecycleActionRecord[] {
    const now = this.ctx.now();
    return this.allActions(now)
      .filter((a) => a.startedAt <= now)
      .sort((x, y) => x.startedAt - y.startedAt)
      .map((a) => {
        const done = a.completedAt !== undefined && a.completedAt <= now;
        return {
          token: a.token,
          asgName: a.asgName,
          hookName: a.hookName,
          instanceId: a.instanceId,
          transition: a.transition,
          startedAt: new Date(a.startedAt).toISOString(),
          ...(done ? { completedAt: new Date(a.completedAt ?? now).toISOString(), ...(a.result ? { result: a.result } : {}) } : {}),
          // `by` of an action still waiting: how it would end without a call (a timeout or the hook's deletion).
          by: done ? (a.by ?? 'timeout') : 'timeout',
        };
      });
  }

  /** Each EKS cluster's simulated Kubernetes side, settled to now (for summaries: events, deletedWithoutEviction()…). */
  clusters(): Map<string, SimulatedCluster> {
    const out = new Map<string, SimulatedCluster>();
    for (const [name, rec] of this.eks.byName) {
      this.eks.sync(rec);
      out.set(name, rec.cluster);
    }
    return out;
  }

  setExecutionStarter(fn: (exec: StartedExecution) => void): void {
    this.starter = fn;
  }

  completeExecution(executionArn: string, status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED', output?: unknown, failure?: { error?: string; cause?: string }): void {
    completeExecution(this.ctx, executionArn, status, output, failure);
  }

  /** Deep copy of every mutable fact; statuses are derived from these on read, so reads never change it. */
  /** A bucket the stack creates (CloudFormation's, not a call the pipeline makes). */
  createBucket(name: string): void {
    this.buckets.add(name);
  }

  snapshot(): unknown {
    return JSON.parse(JSON.stringify(this.state)) as unknown;
  }

  /** Every Auto Scaling group of the account (the scenario's and the managed node groups' own). */
  asgNames(): string[] {
    return Object.keys(this.state.asgs).sort();
  }

  instances(asgName: string): { instanceId: string; imageId: string; launchTemplateVersion: string }[] {
    return asgView(this.ctx, requireAsg(this.ctx, asgName)).instances.map((i) => ({ instanceId: i.instanceId, imageId: i.imageId, launchTemplateVersion: i.version }));
  }

  asg(name: string): { name: string; launchTemplateId: string; launchTemplateName: string; version: string; imageId: string; refreshStatus?: string } {
    const v = asgView(this.ctx, requireAsg(this.ctx, name));
    return {
      name,
      launchTemplateId: v.target.ltId,
      launchTemplateName: v.target.ltName,
      version: v.target.version,
      imageId: v.target.imageId,
      ...(v.refresh ? { refreshStatus: v.refresh.status } : {}),
    };
  }

  launchTemplateVersions(ltName: string): { versionNumber: number; description?: string; default: boolean; data: Record<string, unknown> }[] {
    const lt = Object.values(this.state.launchTemplates).find((l) => l.name === ltName);
    if (!lt) throw new Error(`no launch template named ${ltName}`);
    return lt.versions.map((v) => ({
      versionNumber: v.versionNumber,
      ...(v.description !== undefined ? { description: v.description } : {}),
      default: v.versionNumber === lt.defaultVersion,
      data: structuredClone(v.data),
    }));
  }

  get published(): { t: string; topicArn: string; subject?: string; message: string; attributes: Record<string, unknown> }[] {
    return this.state.published.map(({ messageId: _id, ...p }) => structuredClone(p));
  }

  images(): { arn: string; recipeArn: string; status: string; reason?: string; amiId?: string; parentAmi: string; createdAt: string; buildMinutes: number }[] {
    return Object.values(this.state.images).map((img) => {
      const s = imageStatus(this.ctx, img);
      return {
        arn: img.arn,
        recipeArn: img.recipeArn,
        status: s.status,
        ...(s.reason !== undefined ? { reason: s.reason } : {}),
        ...(s.status === 'AVAILABLE' ? { amiId: img.amiId } : {}),
        parentAmi: img.parentAmi,
        createdAt: new Date(img.createdAt).toISOString(),
        buildMinutes: (buildEndsAt(this.ctx, img) - img.createdAt) / MINUTE,
      };
    });
  }

  /** A Parameter Store parameter as it stands now (value, data type, version), or undefined. */
  parameter(name: string): { value: string; dataType: string; version: number } | undefined {
    const p = this.state.ssm[name];
    return p && { value: p.value, dataType: p.dataType, version: p.version };
  }

  get executions(): { executionArn: string; stateMachineArn: string; name: string; input: string; status: string; startDate: string; stopDate?: string; output?: string }[] {
    return this.state.executions.map((e) => ({
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      input: e.input,
      status: e.status,
      startDate: new Date(e.startDate).toISOString(),
      ...(e.stopDate !== undefined ? { stopDate: new Date(e.stopDate).toISOString() } : {}),
      ...(e.output !== undefined ? { output: e.output } : {}),
    }));
  }
}
