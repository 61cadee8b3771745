import { createHash } from 'node:crypto';
import { availabilityZones, ltTarget } from './autoscaling.js';
import { awsError, idempotent, MINUTE, obj, type Ctx, type Handlers, type Input, type InstanceRec, type LtTarget, type NodegroupRec, type NodegroupUpdateRec, type SimState } from './context.js';
import type { ClusterSpec, Fleet } from './fleet.js';
import { launchMs as launchTimes, takeSnapshot } from './fastlaunch.js';
import { SimulatedCluster } from './kubernetes/index.js';
import { vcpuFailure, vcpusOfVersion } from './quotas.js';

/**
 * Amazon EKS managed node groups with launch templates: DescribeNodegroup, ListNodegroups, UpdateNodegroupVersion,
 * DescribeUpdate, ListUpdates.
 *
 * An update is stored as its facts (NodegroupUpdateRec: start, from/to launch template version, force, the instances at
 * its start, an injected failure). `simulateNodegroup` replays every update of the node group from the scenario's start
 * against a scratch copy of the node group's part of the cluster (its nodes and the workloads placed on them, with the
 * cluster's PodDisruptionBudgets, timings and Kubernetes faults), so reads stay pure and a snapshot stays JSON. The real
 * cluster (eks.ts) is fed the same launches, drain rounds and terminations, so its events count the evictions.
 *
 * Sources: EKS User Guide, "Update a managed node group for your cluster" and "Understand each phase of node updates"
 * (setup, scale up, upgrade, scale down); "Customize managed nodes with launch templates"; Amazon EKS API Reference
 * DescribeNodegroup, UpdateNodegroupVersion, DescribeUpdate, ListUpdates, "Nodegroup", "Update", "ErrorDetail".
 */

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const uuidOf = (key: string) => {
  const h = sha(key);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
export const nodegroupKey = (cluster: string, name: string): string => `${cluster}/${name}`;
/** "Managed node groups": EKS names the group's ASG eks-<nodegroup>-<uuid>. */
export const nodegroupAsgName = (cluster: string, name: string): string => `eks-${name}-${uuidOf(`asg/${cluster}/${name}`)}`;
const instanceIdFor = (key: string) => `i-${sha(key).slice(0, 17)}`;

// "Understand each phase of node updates" › Upgrade phase: "If the pods don't leave the node within 15 minutes and there's
// no force flag, the upgrade phase fails with a PodEvictionFailure error".
export const DRAIN_TIMEOUT_MS = 15 * MINUTE;
// Same page: "Cordons the node after every pod is evicted and waits for 60 seconds ... Sends a termination request".
const AFTER_DRAIN_MS = 60_000;
// kubectl drain's habit (the eviction retried every 5 seconds while a budget refuses). Not documented for EKS.
const DRAIN_RETRY_MS = 5_000;
// Scale up phase: the new nodes must be Ready. Not documented how long EKS waits: 15 minutes here (knowingly simplified),
// then NodeCreationFailure.
const READY_TIMEOUT_MS = 15 * MINUTE;

interface Registry {
  clusters: Map<string, ClusterSpec>;
  kubernetesFaults: unknown[];
}
const registries = new WeakMap<SimState, Registry>();

export interface ErrorDetail {
  errorCode: string;
  errorMessage: string;
  resourceIds: string[];
}

export interface NgLaunch {
  instanceId: string;
  cfg: LtTarget;
  launchedAt: number;
  bootedAt: number;
}

export interface UpdateTimeline {
  update: NodegroupUpdateRec;
  launches: NgLaunch[];
  /** Old instances terminated by the update: when. */
  oldEnds: Map<string, number>;
  /** Each drain round of each old node (eks.ts replays them on the real cluster). */
  drainRounds: { at: number; instanceId: string }[];
  batchesDone: number;
  end: number;
  status: 'Successful' | 'Failed';
  errors: ErrorDetail[];
  instancesAtEnd: InstanceRec[];
}

const cache = new WeakMap<NodegroupRec, { key: string; timelines: UpdateTimeline[] }>();
const chunk = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/** The EKS labels of a managed node ("Understand each phase of node updates" › Scale up phase: the labels EKS applies). */
export function managedNodeLabels(ng: NodegroupRec, i: { imageId: string; ltId: string; versionNumber: number }): Record<string, string> {
  return {
    'eks.amazonaws.com/nodegroup': ng.name,
    'eks.amazonaws.com/nodegroup-image': i.imageId,
    'eks.amazonaws.com/capacityType': 'ON_DEMAND',
    'eks.amazonaws.com/sourceLaunchTemplateId': i.ltId,
    'eks.amazonaws.com/sourceLaunchTemplateVersion': String(i.versionNumber),
  };
}

/** The AMI an AWS AMI type runs ("Amazon EKS optimized Windows AMIs": the latest release's SSM parameter, else the newest fleet AMI of that name (its date suffix breaks ties), else a fixed id). */
function awsAmiOf(ctx: Ctx, amiType: string, k8s: string): string {
  const m = /^WINDOWS_(CORE|FULL)_(\d{4})_x86_64$/.exec(amiType);
  const base = m ? `Windows_Server-${m[2]}-English-${m[1] === 'CORE' ? 'Core' : 'Full'}-EKS_Optimized-${k8s}` : `${amiType}-${k8s}`;
  const param = ctx.state.ssm[`/aws/service/ami-windows-latest/${base}/image_id`]?.value;
  if (param) return param;
  const ami = Object.values(ctx.state.amis)
    .filter((a) => a.name.startsWith(base))
    .sort((a, b) => b.createdAt - a.createdAt || b.name.localeCompare(a.name))[0];
  return ami?.id ?? `ami-${sha(base).slice(0, 17)}`;
}

/** The launch template version as the node group launches it (an AWS AMI type's version has no ImageId: EKS supplies its AMI). */
export function nodegroupTarget(ctx: Ctx, ng: NodegroupRec, version: string): LtTarget {
  const t = ltTarget(ctx, { id: ng.ltId, version });
  if (ng.amiType === 'CUSTOM') return t;
  const k8s = registries.get(ctx.state)?.clusters.get(ng.cluster)?.version ?? '1.31';
  return { ...t, imageId: awsAmiOf(ctx, ng.amiType, k8s) };
}

const hasImageId = (ctx: Ctx, ltId: string, versionNumber: number): boolean =>
  typeof ctx.state.launchTemplates[ltId]?.versions.find((v) => v.versionNumber === versionNumber)?.data.ImageId === 'string';

/** Seeds fleet.managedNodeGroups: the node group and its ASG (account.ts calls it after the launch templates). */
export function seedNodegroups(ctx: Ctx, fleet: Fleet, now: number): void {
  const kubernetesFaults = ctx.faults.filter((f) => f.kind === 'nodesNeverReady' || f.kind === 'wrongWindowsBuild' || f.kind === 'evictionBlocked' || f.kind === 'overlappingPdb');
  registries.set(ctx.state, { clusters: new Map(fleet.clusters.map((c) => [c.name, c])), kubernetesFaults });
  for (const g of fleet.managedNodeGroups) {
    const lt = Object.values(ctx.state.launchTemplates).find((l) => l.name === g.launchTemplate);
    if (!lt) throw new Error(`managed node group ${g.name}: launch template ${g.launchTemplate} is not in the fleet`);
    const asgName = nodegroupAsgName(g.cluster, g.name);
    const key = nodegroupKey(g.cluster, g.name);
    const amiType = g.amiType ?? (hasImageId(ctx, lt.id, g.version) ? 'CUSTOM' : 'WINDOWS_CORE_2022_x86_64');
    const ng: NodegroupRec = {
      cluster: g.cluster,
      name: g.name,
      // API Reference, "Nodegroup" nodegroupArn: arn:aws:eks:<region>:<account>:nodegroup/<cluster>/<nodegroup>/<uuid>.
      arn: `arn:aws:eks:${ctx.region}:${ctx.accountId}:nodegroup/${g.cluster}/${g.name}/${uuidOf(`ng/${key}`)}`,
      asgName,
      ltId: lt.id,
      version: String(g.version),
      amiType,
      maxUnavailable: g.maxUnavailable,
      createdAt: now - 30 * 24 * 60 * MINUTE,
      updates: [],
    };
    ctx.state.nodegroups[key] = ng;
    const target = nodegroupTarget(ctx, ng, ng.version);
    ctx.state.asgs[asgName] = {
      name: asgName,
      arn: `arn:aws:autoscaling:${ctx.region}:${ctx.accountId}:autoScalingGroup:${uuidOf(`asgarn/${key}`)}:autoScalingGroupName/${asgName}`,
      ltId: lt.id,
      version: ng.version,
      mixed: false,
      minSize: g.instances,
      maxSize: Math.max(1, g.instances * 2),
      desired: g.instances,
      // Managed node group contract (K11.md; "Managed node groups" › tags EKS puts on the group): eks:cluster-name,
      // eks:nodegroup-name, and the cluster-autoscaler / cloud provider ownership tags.
      tags: {
        'eks:cluster-name': g.cluster,
        'eks:nodegroup-name': g.name,
        [`k8s.io/cluster-autoscaler/${g.cluster}`]: 'owned',
        'k8s.io/cluster-autoscaler/enabled': 'true',
        [`kubernetes.io/cluster/${g.cluster}`]: 'owned',
      },
      terminationHook: false,
      createdTime: now,
      nodegroup: key,
      instances: Array.from({ length: g.instances }, () => ({ instanceId: ctx.nextId('i-'), ltId: lt.id, version: ng.version, versionNumber: target.versionNumber, imageId: target.imageId })),
    };
  }
}

/**
 * The extra instances an update runs beside the node group: "Understand each phase of node updates" › Scale up phase,
 * EKS "increments the Auto Scaling group's maximum size and desired size by the larger of either" up to twice the
 * Availability Zones of the ASG or the maximum unavailable, and launches them before any old node drains; the Scale down
 * phase brings the sizes back once no old node is left. "Up to" is read the stricter way (the whole 2 x AZs, as
 * containers-roadmap#1560 and terraform-aws-eks#2047 report EKS doing for 1- to 3-node groups), for any update that
 * replaces at least one instance (an update with nothing to replace launches nothing here).
 * NOTE more forgiving than AWS: only `maxUnavailable` of them are launched as nodes per batch; the rest are counted in the
 * vCPU quota (quotas.ts) from the update's start to its end, not run as nodes (no scale-down evictions from them).
 * NOTE a failed update's end is its failure: the sim gives the scale-up back then. AWS documents the Scale down phase
 * only after a successful upgrade ("Understand each phase of node updates") and not what happens to the extra
 * instances when an update fails (possibly more forgiving than AWS, if EKS keeps them).
 */
export function updateSurge(ctx: Ctx, ng: NodegroupRec, toReplace: number): number {
  return toReplace > 0 ? Math.max(2 * availabilityZones(ctx.region).length, ng.maxUnavailable) : 0;
}

const onTarget = (i: InstanceRec, to: LtTarget): boolean => i.ltId === to.ltId && i.versionNumber === to.versionNumber && i.imageId === to.imageId;

/** vCPUs of the extra instances of every node group update running at `now`, from its scale-up (its start) to its scale-down (its end). */
export function nodegroupSurgeVcpus(ctx: Ctx, now: number): number {
  let vcpus = 0;
  for (const ng of Object.values(ctx.state.nodegroups))
    if (ng.updates.some((u) => (u.surgeExtra ?? 0) > 0 && u.start <= now))
      for (const tl of simulateNodegroup(ctx, ng))
        if (tl.update.surgeExtra && tl.update.start <= now && now < tl.end) vcpus += tl.update.surgeExtra * vcpusOfVersion(ctx, tl.update.to.ltId, tl.update.to.versionNumber);
  return vcpus;
}

/** Replays every update of the node group (cached per set of facts; facts are append-only). */
export function simulateNodegroup(ctx: Ctx, ng: NodegroupRec, book?: string): UpdateTimeline[] {
  const key = ng.updates.map((u) => u.id).join(',');
  const hit = cache.get(ng);
  if (hit && hit.key === key) return hit.timelines;
  const reg = registries.get(ctx.state);
  const spec = reg?.clusters.get(ng.cluster);
  const asg = ctx.state.asgs[ng.asgName];
  if (!reg || !spec || !asg) return [];
  let cursor = ctx.startedAt;
  const workloads = spec.workloads.filter((w) => w.nodeGroup === ng.name || w.nodeGroup === ng.asgName).map((w) => ({ ...w, nodeGroup: ng.asgName }));
  const cluster = new SimulatedCluster({ name: spec.name, region: ctx.region, now: () => cursor, workloads, faults: reg.kubernetesFaults, ...(spec.timings ? { timings: spec.timings } : {}) });
  const facts = (i: { instanceId: string; imageId: string }) => ({ amiId: i.imageId, asgName: ng.asgName, windowsBuild: '', kubeletVersion: '' });
  // As eks.ts start(): the seeded instances booted a day before the start, their Nodes Ready, the pods placed.
  const seedBoot = asg.createdTime - 24 * 60 * MINUTE + ctx.durations.instanceBoot * MINUTE;
  for (const i of asg.instances) cluster.registerNode(i.instanceId, facts(i), seedBoot);
  const readyBy = Math.min(Math.max(seedBoot + cluster.timings.nodeReadySeconds * 1000, ctx.startedAt - 20 * MINUTE), ctx.startedAt);
  cluster.settle(readyBy);
  cluster.startWorkloads(readyBy);
  const timelines: UpdateTimeline[] = [];
  for (const u of ng.updates) {
    let t = u.start;
    cursor = t;
    const tl: UpdateTimeline = { update: u, launches: [], oldEnds: new Map(), drainRounds: [], batchesDone: 0, end: t, status: 'Successful', errors: [], instancesAtEnd: [] };
    let current = structuredClone(u.instancesAtStart);
    let launchNo = 0;
    const fail = (at: number, errorCode: string, errorMessage: string, resourceIds: string[]) => {
      tl.status = 'Failed';
      tl.errors.push({ errorCode, errorMessage, resourceIds });
      t = at;
    };
    // Upgrade phase: "Repeats the previous upgrade steps until there are no nodes in the node group that are deployed with
    // the earlier version of the launch template." Instances already on the target (a rerun after a failure) stay.
    const todo = current.filter((i) => !onTarget(i, u.to));
    // "Randomly selects a node that needs to be upgraded, up to the maximum unavailable": in instance order here.
    for (const [b, batch] of chunk(todo, ng.maxUnavailable).entries()) {
      // Each launch takes a pre-provisioned snapshot if the AMI's pool has one for it, booked when the update starts (the
      // write replays it with `book`); a batch with a launch without one is slower (fastlaunch.ts, launchMs).
      const snaps = u.failure && u.failure.afterBatches === b ? [] : batch.map(() => snapshotOf(ctx, u, launchNo++, t, book === u.id));
      const { launchMs, bootMs } = launchTimes(ctx, u.to.imageId, t, snaps.length > 0 && snaps.every(Boolean));
      if (u.failure && u.failure.afterBatches === b) {
        injectedFailure(ng, u.failure.errorCode, u.failure.errorMessage, t, launchMs, fail);
        break;
      }
      // Scale up phase: new instances of the new version; each must be Ready (and labelled) before any old node drains.
      const news: NgLaunch[] = batch.map((_, n) => ({ instanceId: instanceIdFor(`${u.id}:${b}:${n}`), cfg: u.to, launchedAt: t, bootedAt: t + bootMs }));
      tl.launches.push(...news);
      const launchedIds = news.map((l) => l.instanceId);
      current = [...current, ...news.map((l) => ({ instanceId: l.instanceId, ltId: l.cfg.ltId, version: l.cfg.version, versionNumber: l.cfg.versionNumber, imageId: l.cfg.imageId }))];
      cursor = t + bootMs;
      const nodes = news.map((l) => cluster.registerNode(l.instanceId, facts({ instanceId: l.instanceId, imageId: l.cfg.imageId }), l.bootedAt));
      const readyAt = Math.max(...nodes.map((n) => n?.readyAt ?? Infinity));
      if (readyAt > t + bootMs + READY_TIMEOUT_MS) {
        // EKS User Guide, "Managed node group errors": NodeCreationFailure "Your launched instances are unable to register with your Amazon EKS cluster".
        fail(t + bootMs + READY_TIMEOUT_MS, 'NodeCreationFailure', 'Instances failed to join the kubernetes cluster', launchedIds);
        break;
      }
      t = Math.max(readyAt, t + launchMs);
      // Upgrade phase: drain the old nodes of the batch through the Eviction API (budgets honoured), retried until empty.
      const drainStart = t;
      const pending = new Set(batch.map((i) => i.instanceId));
      for (;;) {
        cursor = t;
        for (const id of [...pending]) {
          tl.drainRounds.push({ at: t, instanceId: id });
          if (cluster.drainRound(id, t) !== false) pending.delete(id);
        }
        if (pending.size === 0 || t + DRAIN_RETRY_MS > drainStart + DRAIN_TIMEOUT_MS) break;
        t += DRAIN_RETRY_MS;
      }
      if (pending.size > 0 && !u.force) {
        const nodeNames = [...cluster.nodes.values()].filter((n) => pending.has(n.instanceId)).map((n) => n.name);
        // "Managed node group errors": PodEvictionFailure "Reached max retries while trying to evict pods from nodes in node group".
        fail(drainStart + DRAIN_TIMEOUT_MS, 'PodEvictionFailure', `Reached max retries while trying to evict pods from nodes in node group ${ng.name}`, nodeNames.length ? nodeNames : [...pending]);
        break;
      }
      // With force ("Update a managed node group": force "even if pod disruption budget issues"), the rest of the pods go
      // with the node (deleted without eviction, counted by the cluster).
      t += AFTER_DRAIN_MS;
      cursor = t;
      for (const i of batch) {
        tl.oldEnds.set(i.instanceId, t);
        cluster.removeNode(i.instanceId, t);
      }
      current = current.filter((i) => !tl.oldEnds.has(i.instanceId));
      tl.batchesDone++;
    }
    // Scale down phase: the group is back to its size when the last old instance goes (the surge here is one batch).
    tl.end = t;
    tl.instancesAtEnd = current;
    timelines.push(tl);
  }
  cache.set(ng, { key, timelines });
  return timelines;
}

/** Whether the update's launch number `i` (at `t`) took a pre-provisioned snapshot: as booked, or booked now when `book`. */
function snapshotOf(ctx: Ctx, u: NodegroupUpdateRec, i: number, t: number, book: boolean): boolean {
  const booked = u.snapshots?.[i];
  if (booked !== undefined || !book) return booked === true;
  const taken = takeSnapshot(ctx, u.to.imageId, t);
  (u.snapshots ??= []).push(taken);
  return taken;
}

/** A nodegroupUpdateFailure fault at the start of a batch: nothing of that batch is launched (knowingly simplified). */
function injectedFailure(ng: NodegroupRec, code: string, errorMessage: string | undefined, t: number, launchMs: number, fail: (at: number, code: string, message: string, ids: string[]) => void): void {
  // Amazon EKS API Reference, "Issue" (NodegroupIssueCode: AccessDenied, AsgInstanceLaunchFailures, NodeCreationFailure,
  // InstanceLimitExceeded, InsufficientFreeAddresses, InternalFailure, …) and "ErrorDetail"; the messages are ours, shaped on those descriptions.
  const messages: Record<string, [number, string, string[]]> = {
    PodEvictionFailure: [t + launchMs + DRAIN_TIMEOUT_MS, `Reached max retries while trying to evict pods from nodes in node group ${ng.name}`, [ng.name]],
    NodeCreationFailure: [t + launchMs + READY_TIMEOUT_MS, 'Instances failed to join the kubernetes cluster', [ng.asgName]],
    AsgInstanceLaunchFailures: [t + launchMs, 'Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient capacity in the Availability Zone you requested. Launching EC2 instance failed.', [ng.asgName]],
    InstanceLimitExceeded: [t + launchMs, 'You have reached the limit on the number of instances in your account. Launching EC2 instance failed.', [ng.asgName]],
    InsufficientFreeAddresses: [t + launchMs, 'One or more of the subnets associated with your managed node group does not have enough available IP addresses for new nodes.', [ng.asgName]],
    AccessDenied: [t, 'Amazon EKS or one or more of your managed nodes is failing to authenticate or authorize with your Kubernetes cluster API server.', [ng.name]],
    InternalFailure: [t + launchMs, 'An internal error occurred in Amazon EKS.', [ng.name]],
  };
  const [at, message, ids] = messages[code] ?? [t, code, [ng.name]];
  fail(at, code, errorMessage ?? message, ids);
}

export interface NodegroupView {
  ng: NodegroupRec;
  /** The node group's launch template version (moves when an update succeeds). */
  version: string;
  /** The ASG's launch template version (the setup phase moves it at an update's start). */
  asgTarget: LtTarget;
  instances: InstanceRec[];
  /** The update in progress at `now`. */
  active?: UpdateTimeline;
  timelines: UpdateTimeline[];
}

export function nodegroupView(ctx: Ctx, ng: NodegroupRec, now = ctx.now()): NodegroupView {
  const timelines = simulateNodegroup(ctx, ng);
  const asg = ctx.state.asgs[ng.asgName];
  let version = ng.version;
  let asgVersion = asg?.version ?? ng.version;
  let instances: InstanceRec[] = structuredClone(asg?.instances ?? []);
  let active: UpdateTimeline | undefined;
  for (const tl of timelines) {
    if (tl.update.start > now) break;
    // "Understand each phase of node updates" › Setup phase: "It updates the Auto Scaling Group to use the latest launch template version."
    asgVersion = tl.update.to.version;
    if (tl.end <= now) {
      if (tl.status === 'Successful') version = tl.update.to.version;
      instances = structuredClone(tl.instancesAtEnd);
      continue;
    }
    active = tl;
    const live = structuredClone(tl.update.instancesAtStart).filter((i) => !((tl.oldEnds.get(i.instanceId) ?? Infinity) <= now));
    for (const l of tl.launches)
      if (l.launchedAt <= now)
        live.push({ instanceId: l.instanceId, ltId: l.cfg.ltId, version: l.cfg.version, versionNumber: l.cfg.versionNumber, imageId: l.cfg.imageId, ...(now < l.bootedAt ? { lifecycleState: 'Pending' } : {}) });
    instances = live;
  }
  return { ng, version, asgTarget: nodegroupTarget(ctx, ng, asgVersion), instances, ...(active ? { active } : {}), timelines };
}

/** Every instance a node group's updates launched or terminated (account.instanceHistory()). */
export function nodegroupLaunches(ctx: Ctx, ng: NodegroupRec): { launches: NgLaunch[]; ends: Map<string, number> } {
  const launches: NgLaunch[] = [];
  const ends = new Map<string, number>();
  for (const tl of simulateNodegroup(ctx, ng)) {
    launches.push(...tl.launches);
    for (const [id, at] of tl.oldEnds) ends.set(id, at);
  }
  return { launches, ends };
}

const str = (v: unknown, name: string, max = 100): string => {
  // Amazon EKS API Reference (common parameters): missing or malformed parameters are InvalidParameterException.
  if (typeof v !== 'string' || v.length < 1 || v.length > max) throw awsError('InvalidParameterException', `${name} must be 1-${max} characters.`);
  return v;
};

export function nodegroupHandlers(ctx: Ctx, clusterExists: (name: string) => { status: string } | undefined): Handlers {
  const cluster = (name: unknown, param: string) => {
    const n = str(name, param);
    const c = clusterExists(n);
    // API Reference, DescribeNodegroup / DescribeUpdate: ResourceNotFoundException (404) for an unknown cluster.
    if (!c) throw awsError('ResourceNotFoundException', `No cluster found for name: ${n}.`, 404);
    return { name: n, status: c.status };
  };
  const nodegroup = (clusterName: string, name: unknown) => {
    const n = str(name, 'nodegroupName', 63);
    const ng = ctx.state.nodegroups[nodegroupKey(clusterName, n)];
    if (!ng) throw awsError('ResourceNotFoundException', `No node group found for name: ${n}.`, 404);
    return ng;
  };
  const renderUpdate = (tl: UpdateTimeline, now: number) => {
    const u = tl.update;
    const done = tl.end <= now;
    const lt = ctx.state.launchTemplates[u.to.ltId];
    return {
      id: u.id,
      // API Reference, "Update": status InProgress | Failed | Cancelled | Successful; type VersionUpdate; params; errors.
      status: done ? tl.status : 'InProgress',
      type: 'VersionUpdate',
      params: [
        { type: 'LaunchTemplateName', value: lt?.name ?? '' },
        { type: 'LaunchTemplateVersion', value: u.to.version },
        { type: 'ReleaseVersion', value: u.to.imageId },
        { type: 'Force', value: String(u.force) },
      ],
      createdAt: new Date(u.start),
      errors: done ? tl.errors.map((e) => ({ ...e, resourceIds: [...e.resourceIds] })) : [],
    };
  };
  const updateOf = (ng: NodegroupRec, id: unknown) => {
    const uid = str(id, 'updateId', 100);
    const tl = simulateNodegroup(ctx, ng).find((x) => x.update.id === uid);
    if (!tl) throw awsError('ResourceNotFoundException', `No update found for ID: ${uid}.`, 404);
    return tl;
  };
  return {
    // API Reference, DescribeNodegroup and the "Nodegroup" data type.
    DescribeNodegroup: (input: Input) => {
      const c = cluster(input.clusterName, 'clusterName');
      const ng = nodegroup(c.name, input.nodegroupName);
      const now = ctx.now();
      const v = nodegroupView(ctx, ng, now);
      const asg = ctx.state.asgs[ng.asgName];
      const lt = ctx.state.launchTemplates[ng.ltId];
      const spec = registries.get(ctx.state)?.clusters.get(ng.cluster);
      const id = sha(ng.arn);
      const current = nodegroupTarget(ctx, ng, v.version);
      const lastEnd = v.timelines.filter((t) => t.update.start <= now).at(-1);
      return {
        nodegroup: {
          nodegroupName: ng.name,
          nodegroupArn: ng.arn,
          clusterName: ng.cluster,
          version: spec?.version ?? '1.31',
          // "Nodegroup" releaseVersion: with a custom AMI, the AMI id the launch template names (stricter: no release string).
          releaseVersion: current.imageId,
          createdAt: new Date(ng.createdAt),
          modifiedAt: new Date(lastEnd ? Math.min(now, lastEnd.end) : ng.createdAt),
          // "Nodegroup" status: UPDATING while an update is in progress, else ACTIVE (EKS has no rollback: a failed update leaves it ACTIVE).
          status: v.active ? 'UPDATING' : 'ACTIVE',
          capacityType: 'ON_DEMAND',
          scalingConfig: { minSize: asg?.minSize ?? 0, maxSize: asg?.maxSize ?? 0, desiredSize: asg?.desired ?? 0 },
          subnets: [`subnet-${id.slice(0, 17)}`, `subnet-${id.slice(17, 34)}`],
          // "Customize managed nodes with launch templates": with a launch template the node role and AMI come from it or EKS.
          amiType: ng.amiType,
          nodeRole: `arn:aws:iam::${ctx.accountId}:role/${ng.cluster}-${ng.name}-node-role`,
          labels: {},
          resources: { autoScalingGroups: [{ name: ng.asgName }] },
          health: { issues: [] },
          // API Reference, "NodegroupUpdateConfig".
          updateConfig: { maxUnavailable: ng.maxUnavailable },
          launchTemplate: { name: lt?.name ?? '', version: v.version, id: ng.ltId },
          tags: {},
        },
      };
    },
    // API Reference, ListNodegroups.
    ListNodegroups: (input: Input) => {
      const c = cluster(input.clusterName, 'clusterName');
      return { nodegroups: Object.values(ctx.state.nodegroups).filter((n) => n.cluster === c.name).map((n) => n.name) };
    },
    // API Reference, UpdateNodegroupVersion; EKS User Guide, "Update a managed node group for your cluster" and "Customize
    // managed nodes with launch templates".
    UpdateNodegroupVersion: (input: Input) => {
      const c = cluster(input.clusterName, 'clusterName');
      const ng = nodegroup(c.name, input.nodegroupName);
      // API Reference, UpdateNodegroupVersion clientRequestToken: "Unique, case-sensitive identifier ... to ensure the idempotency of the request".
      const made = idempotent(ctx, `UpdateNodegroupVersion:${ng.cluster}/${ng.name}`, input.clientRequestToken, input, 'InvalidParameterException', () => {
        const now = ctx.now();
        // API Reference, ClientException: "These errors are usually caused by a client action ... using an action or resource
        // on behalf of a user that doesn't have permissions" — here: the cluster is not ACTIVE (stricter reading).
        if (c.status !== 'ACTIVE') throw awsError('ClientException', `Cluster ${c.name} is in ${c.status} state; node groups can be updated only when the cluster is ACTIVE.`);
        if (input.force !== undefined && typeof input.force !== 'boolean') throw awsError('InvalidParameterException', 'force must be a boolean.');
        const spec = obj(input.launchTemplate);
        // "Update a managed node group": a node group with a launch template is updated to a version of that template
        // (knowingly simplified: an AWS AMI type's releaseVersion-only update is not modelled; it is refused).
        if (!spec) throw awsError('InvalidParameterException', `Node group ${ng.name} was created with a launch template: give launchTemplate {id or name, version}.`);
        // "Customize managed nodes with launch templates": with a custom AMI in the launch template, version and releaseVersion
        // cannot be given (the AMI decides them).
        if (input.version !== undefined || input.releaseVersion !== undefined)
          throw awsError('InvalidParameterException', 'You cannot specify version or releaseVersion with a launch template update (the launch template decides the AMI).');
        const lt = ctx.state.launchTemplates[ng.ltId];
        if (spec.id === undefined && spec.name === undefined) throw awsError('InvalidParameterException', 'launchTemplate needs an id or a name.');
        // "Customize managed nodes with launch templates": "you can't change the launch template ... used by the node group";
        // only its version.
        if (spec.id !== undefined && spec.id !== ng.ltId)
          throw awsError('InvalidParameterException', `Launch template ${String(spec.id)} is not the launch template of node group ${ng.name} (${ng.ltId}); only its version can change.`);
        if (spec.name !== undefined && spec.name !== lt?.name)
          throw awsError('InvalidParameterException', `Launch template ${String(spec.name)} is not the launch template of node group ${ng.name} (${lt?.name ?? ng.ltId}); only its version can change.`);
        // API Reference, "LaunchTemplateSpecification" version: "If no version is specified, then the template's default version
        // is used". Only a version number is taken here ($Latest / $Default refused: the stricter reading).
        const version = spec.version === undefined ? String(lt?.defaultVersion ?? 1) : spec.version;
        if (typeof version !== 'string' || !/^[1-9]\d*$/.test(version)) throw awsError('InvalidParameterException', `Launch template version ${String(version)} is not a version number.`);
        const vrec = lt?.versions.find((x) => x.versionNumber === Number(version));
        if (!vrec) throw awsError('InvalidParameterException', `Launch template version ${version} does not exist for launch template ${lt?.name ?? ng.ltId} (${ng.ltId}).`);
        const imageId = typeof vrec.data.ImageId === 'string' ? vrec.data.ImageId : undefined;
        // "Customize managed nodes with launch templates": an AWS AMI type takes no ImageId in the launch template; CUSTOM needs one.
        if (ng.amiType !== 'CUSTOM' && imageId !== undefined)
          throw awsError('InvalidParameterException', `Node group ${ng.name} uses amiType ${ng.amiType}: launch template version ${version} specifies an ImageId, which only a CUSTOM AMI type node group can take.`);
        if (ng.amiType === 'CUSTOM' && imageId === undefined) throw awsError('InvalidParameterException', `Node group ${ng.name} uses a custom AMI: launch template version ${version} must specify an ImageId.`);
        const v = nodegroupView(ctx, ng, now);
        // API Reference, UpdateNodegroupVersion: ResourceInUseException "The specified resource is in use" (an update in progress).
        if (v.active) throw awsError('ResourceInUseException', `Nodegroup ${ng.name} is currently being updated (update ${v.active.update.id}).`, 409);
        const to = nodegroupTarget(ctx, ng, version);
        const instancesAtStart = v.instances.map(({ lifecycleState: _l, ...i }) => i);
        const surge = updateSurge(ctx, ng, instancesAtStart.filter((i) => !onTarget(i, to)).length);
        // The scale-up's launches over the On-Demand vCPU quota fail with EC2's VcpuLimitExceeded (quotas.ts). "Managed node
        // group errors" / API Reference "Issue": AsgInstanceLaunchFailures "Your Auto Scaling group is experiencing failures
        // while attempting to launch instances". AWS does not say how long EKS retries: the update fails at its first batch
        // (the stricter reading), with EC2's message, and holds none of its extra instances.
        const overQuota = vcpuFailure(ctx, surge, vcpusOfVersion(ctx, to.ltId, to.versionNumber));
        const fi = overQuota ? -1 : ctx.faults.findIndex((f) => f.kind === 'nodegroupUpdateFailure' && f.nodegroup === ng.name && (f.cluster === undefined || f.cluster === ng.cluster));
        const fault = ctx.faults[fi];
        const failure = overQuota
          ? { errorCode: 'AsgInstanceLaunchFailures', afterBatches: 0, errorMessage: overQuota.reason }
          : fault?.kind === 'nodegroupUpdateFailure' && ctx.takeFault(fi)
            ? { errorCode: fault.error, afterBatches: fault.afterBatches }
            : undefined;
        const u: NodegroupUpdateRec = {
          id: uuidOf(`update/${ng.arn}/${ng.updates.length}/${now}`),
          start: now,
          from: nodegroupTarget(ctx, ng, v.version),
          to,
          force: input.force === true,
          instancesAtStart,
          ...(failure ? { failure } : {}),
          ...(!overQuota && surge > 0 ? { surgeExtra: surge } : {}),
          ...(typeof input.clientRequestToken === 'string' ? { clientRequestToken: input.clientRequestToken } : {}),
        };
        ng.updates.push(u);
        return { id: u.id };
      });
      const ng2 = ctx.state.nodegroups[nodegroupKey(ng.cluster, ng.name)] ?? ng;
      // The update's launches book their Fast Launch snapshots now (a write), so reads replay the same times.
      const tl = simulateNodegroup(ctx, ng2, made.id).find((x) => x.update.id === made.id);
      if (!tl) throw awsError('ServerException', 'update lost', 500);
      // The answer of the call: InProgress at once (the rest is DescribeUpdate's).
      return { update: { ...renderUpdate(tl, tl.update.start), status: 'InProgress', errors: [] } };
    },
    // API Reference, DescribeUpdate: name (the cluster), updateId, nodegroupName for a node group's update.
    DescribeUpdate: (input: Input) => {
      const c = cluster(input.name, 'name');
      // The stricter reading: a node group's update is found only with its nodegroupName.
      if (input.nodegroupName === undefined) throw awsError('ResourceNotFoundException', `No update found for ID: ${String(input.updateId)}.`, 404);
      const ng = nodegroup(c.name, input.nodegroupName);
      return { update: renderUpdate(updateOf(ng, input.updateId), ctx.now()) };
    },
    // API Reference, ListUpdates: maxResults 1-100, nextToken.
    ListUpdates: (input: Input) => {
      const c = cluster(input.name, 'name');
      const max = input.maxResults ?? 100;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100) throw awsError('InvalidParameterException', 'maxResults must be 1-100.');
      const ids = input.nodegroupName === undefined ? [] : nodegroup(c.name, input.nodegroupName).updates.map((u) => u.id);
      const from = typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64').toString()) : 0;
      if (!Number.isInteger(from) || from < 0 || from > ids.length) throw awsError('InvalidParameterException', 'nextToken is not valid.');
      const page = ids.slice(from, from + max);
      return { updateIds: page, ...(from + max < ids.length ? { nextToken: Buffer.from(String(from + max)).toString('base64') } : {}) };
    },
  };
}
