import { createHash } from 'node:crypto';
import { KubernetesFaultSchema, TimingsSchema, WorkloadSchema, type AmiFacts, type ClusterEvent, type KubernetesFault, type SimNode, type SimPod, type Timings, type Workload } from './model.js';

/**
 * A simulated EKS cluster's state over simulated time. Time-driven changes (nodes
 * turning Ready, pods finishing their grace period, controllers recreating pods) are
 * settled lazily: every read or write first settles the cluster up to `now()`.
 * The HTTP face is in api.ts.
 */
export interface ClusterOptions {
  name: string;
  region?: string;
  now: () => number;
  workloads?: unknown[];
  faults?: unknown[];
  timings?: Partial<Timings>;
}

const hex = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

export class SimulatedCluster {
  readonly name: string;
  readonly region: string;
  readonly now: () => number;
  readonly timings: Timings;
  readonly faults: KubernetesFault[];
  readonly workloads: Workload[];
  readonly nodes = new Map<string, SimNode>();
  readonly pods = new Map<string, SimPod>();
  readonly events: ClusterEvent[] = [];
  /** Every node that ever registered, by name, and its group (nodes leave `nodes` when removed; summaries still need it). */
  readonly groupOfNode = new Map<string, string>();
  /** Replacement pods the controllers will create: [at, workload]. */
  private readonly pendingCreates: { at: number; workload: Workload }[] = [];
  private seq = 0;

  constructor(options: ClusterOptions) {
    this.name = options.name;
    this.region = options.region ?? 'us-west-2';
    this.now = options.now;
    this.timings = TimingsSchema.parse(options.timings ?? {});
    this.faults = (options.faults ?? []).map((f) => KubernetesFaultSchema.parse(f));
    this.workloads = (options.workloads ?? []).map((w) => WorkloadSchema.parse(w));
  }

  // "Nodes" › Self-registration of Nodes (kubernetes.io): the kubelet registers the Node with
  // --node-labels and --register-with-taints; the Windows build label comes from the host
  // ("Well-Known Labels, Annotations and Taints": node.kubernetes.io/windows-build).
  registerNode(instanceId: string, facts: AmiFacts, at = this.now()): SimNode | undefined {
    this.settle(at);
    const never = this.faults.find((f) => f.kind === 'nodesNeverReady' && (!f.amiId || f.amiId === facts.amiId) && (!f.asgName || f.asgName === facts.asgName));
    if (never?.kind === 'nodesNeverReady' && never.mode === 'neverRegister') return undefined;
    const wrong = this.faults.find((f) => f.kind === 'wrongWindowsBuild' && f.amiId === facts.amiId);
    const az = facts.availabilityZone ?? `${this.region}a`;
    // EC2 User Guide, "Amazon EC2 instance hostname types": private DNS names (ip-10-x-y-z.<region>.compute.internal) are
    // unique in a VPC: take the next free address.
    let name = '';
    for (let salt = 0; !name || this.nodes.has(name); salt++) {
      const h = hex(`${instanceId}/${salt}`, 6);
      name = `ip-10-${parseInt(h.slice(0, 2), 16)}-${parseInt(h.slice(2, 4), 16)}-${parseInt(h.slice(4), 16)}.${this.region}.compute.internal`;
    }
    const node: SimNode = {
      name,
      instanceId,
      asgName: facts.asgName,
      amiId: facts.amiId,
      registeredAt: at,
      ...(never ? {} : { readyAt: at + this.timings.nodeReadySeconds * 1000 }),
      unschedulable: false,
      labels: {
        'kubernetes.io/os': 'windows',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'topology.kubernetes.io/zone': az,
        'topology.kubernetes.io/region': this.region,
        'node.kubernetes.io/windows-build': wrong?.kind === 'wrongWindowsBuild' ? wrong.build : facts.windowsBuild,
        'alpha.eksctl.io/nodegroup-name': facts.asgName,
        ...facts.labels,
      },
      taints: [...(facts.taints ?? [])],
      kubeletVersion: facts.kubeletVersion,
      providerID: `aws:///${az}/${instanceId}`,
    };
    this.nodes.set(name, node);
    this.groupOfNode.set(name, facts.asgName);
    this.events.push({ at, kind: 'nodeRegistered', node: name });
    // "DaemonSet" (kubernetes.io): the DaemonSet controller puts a pod on every matching node, Ready or not.
    for (const w of this.workloads) if (w.kind === 'DaemonSet' && w.nodeGroup === facts.asgName) this.createPod(w, at, node);
    return node;
  }

  /** The instance is gone: "Garbage Collection" › pods bound to a deleted Node are deleted, without eviction. */
  removeNode(instanceId: string, at = this.now()): void {
    this.settle(at);
    const node = [...this.nodes.values()].find((n) => n.instanceId === instanceId);
    if (!node) return;
    this.nodes.delete(node.name);
    this.events.push({ at, kind: 'nodeRemoved', node: node.name });
    for (const pod of [...this.pods.values()].filter((p) => p.nodeName === node.name)) {
      const before = this.budgetsOf(pod).map((w) => [w, this.budget(w, at)] as const);
      this.deletePod(pod, at, pod.deleteAt === undefined);
      for (const [w, b] of before) {
        const after = this.budget(w, at);
        if (pod.deleteAt === undefined && b.healthy >= b.desired && after.healthy < after.desired)
          this.events.push({ at, kind: 'pdbViolated', pdb: pdbName(w), healthy: after.healthy, desired: after.desired });
      }
    }
  }

  /** Places each Deployment's replicas over its group's nodes (call once the initial nodes are registered). */
  startWorkloads(at = this.now()): void {
    this.settle(at);
    for (const w of this.workloads) if (w.kind === 'Deployment') for (let i = 0; i < w.replicas; i++) this.createPod(w, at);
    this.settle(at);
  }

  isReady(node: SimNode, at = this.now()): boolean {
    return node.readyAt !== undefined && node.readyAt <= at;
  }

  podReady(pod: SimPod, at = this.now()): boolean {
    return pod.readyAt !== undefined && pod.readyAt <= at && pod.deleteAt === undefined;
  }

  /** Brings the cluster to `at`: grace periods end, controllers create and the scheduler binds pods. */
  settle(at = this.now()): void {
    for (const pod of [...this.pods.values()]) if (pod.deleteAt !== undefined && pod.deleteAt <= at) this.deletePod(pod, pod.deleteAt, false);
    this.pendingCreates.sort((a, b) => a.at - b.at);
    while (this.pendingCreates[0] && this.pendingCreates[0].at <= at) {
      const next = this.pendingCreates.shift();
      if (next) this.createPod(next.workload, next.at);
    }
    for (const pod of this.pods.values()) if (!pod.nodeName) this.schedule(pod, at);
  }

  // "Pod Lifecycle" › Termination of Pods: the kubelet gets terminationGracePeriodSeconds before the pod is killed.
  // ReplicaSet controller: a terminating pod no longer counts toward replicas, so its replacement is created at once.
  beginTermination(pod: SimPod, at: number): void {
    if (pod.deleteAt !== undefined) return;
    pod.deleteAt = at + pod.grace * 1000;
    const w = this.workload(pod);
    if (w?.kind === 'Deployment') this.pendingCreates.push({ at: at + this.timings.recreateSeconds * 1000, workload: w });
  }

  private deletePod(pod: SimPod, at: number, withoutEviction: boolean): void {
    this.pods.delete(`${pod.namespace}/${pod.name}`);
    this.events.push({ at, kind: 'podDeleted', pod: `${pod.namespace}/${pod.name}`, ...(pod.nodeName ? { node: pod.nodeName } : {}), withoutEviction: withoutEviction && pod.kind !== 'DaemonSet' });
    const w = this.workload(pod);
    if (withoutEviction && w?.kind === 'Deployment') this.pendingCreates.push({ at: at + this.timings.recreateSeconds * 1000, workload: w });
  }

  private createPod(w: Workload, at: number, node?: SimNode): SimPod {
    const suffix = hex(`${w.name}/${this.seq++}`, 5);
    const pod: SimPod = {
      name: w.kind === 'DaemonSet' ? `${w.name}-${suffix}` : `${w.name}-${hex(w.name, 9).slice(0, 9)}-${suffix}`,
      namespace: w.namespace,
      uid: hex(`uid/${this.seq}/${w.name}`, 32),
      workload: w.name,
      kind: w.kind,
      createdAt: at,
      grace: w.terminationGracePeriodSeconds,
    };
    this.pods.set(`${pod.namespace}/${pod.name}`, pod);
    if (node) this.bind(pod, node, at);
    else this.schedule(pod, at);
    return pod;
  }

  // "Kubernetes Scheduler": only Ready, schedulable nodes the pod may run on (here: its node group,
  // which is Windows), least loaded with the workload's pods first (the default topology spreading).
  private schedule(pod: SimPod, at: number): void {
    const w = this.workload(pod);
    const candidates = [...this.nodes.values()].filter((n) => n.asgName === w?.nodeGroup && !n.unschedulable && n.readyAt !== undefined && n.readyAt <= Math.max(at, this.now()));
    if (!candidates.length) return;
    const load = (n: SimNode) => [...this.pods.values()].filter((p) => p.nodeName === n.name && p.workload === pod.workload && p.deleteAt === undefined).length;
    const best = candidates.sort((a, b) => load(a) - load(b) || a.name.localeCompare(b.name))[0];
    if (best) this.bind(pod, best, Math.max(at, best.readyAt ?? at, pod.createdAt));
  }

  private bind(pod: SimPod, node: SimNode, at: number): void {
    pod.nodeName = node.name;
    pod.scheduledAt = at;
    // A pod cannot be Ready before its node is.
    if (node.readyAt !== undefined) pod.readyAt = Math.max(at, node.readyAt) + this.timings.podStartSeconds * 1000;
    this.events.push({ at, kind: 'podScheduled', pod: `${pod.namespace}/${pod.name}`, node: node.name });
  }

  workload(pod: SimPod): Workload | undefined {
    return this.workloads.find((w) => w.name === pod.workload && w.namespace === pod.namespace);
  }

  /** The workloads whose budget selects this pod (one budget per workload, selecting app=<name>). */
  budgetsOf(pod: SimPod): Workload[] {
    return this.workloads.filter((w) => w.pdb && w.namespace === pod.namespace && w.name === pod.workload);
  }

  // "Specifying a Disruption Budget for your Application": desiredHealthy from minAvailable, or expected − maxUnavailable;
  // percentages round up; currentHealthy counts Ready pods that are not terminating.
  budget(w: Workload, at = this.now()): { healthy: number; desired: number; expected: number; allowed: number } {
    const pods = [...this.pods.values()].filter((p) => p.workload === w.name && p.namespace === w.namespace);
    const expected = w.kind === 'Deployment' ? w.replicas : pods.length;
    // The disruption controller updates status.currentHealthy from pod watches, a moment after the pod turns Ready.
    const healthy = pods.filter((p) => this.podReady(p, at - this.timings.pdbSyncSeconds * 1000)).length;
    const amount = (v: number | string) => (typeof v === 'number' ? v : Math.ceil((Number(v.slice(0, -1)) / 100) * expected));
    const pdb = w.pdb ?? { maxUnavailable: expected };
    const desired = 'minAvailable' in pdb ? amount(pdb.minAvailable) : Math.max(0, expected - amount(pdb.maxUnavailable));
    return { healthy, desired, expected, allowed: Math.max(0, healthy - desired) };
  }

  /** The second budget of an overlappingPdb fault on this workload, if any (it has the workload's own spec). */
  overlapOf(w: Workload): string | undefined {
    return w.pdb && this.faults.some((f) => f.kind === 'overlappingPdb' && f.workload === w.name && f.namespace === w.namespace) ? `${pdbName(w)}-overlap` : undefined;
  }

  isBlocked(w: Workload): boolean {
    return this.faults.some((f) => f.kind === 'evictionBlocked' && f.pdb === pdbName(w));
  }

  /**
   * One round of an EKS managed node group drain of the node of `instanceId` at `at` (EKS User Guide, "Understand each
   * phase of node updates" › Upgrade phase: the node is cordoned, its pods are evicted through the Eviction API, which
   * honours PodDisruptionBudgets; DaemonSet pods stay, as with kubectl drain --ignore-daemonsets). Each pod goes through
   * the same rules as CreateEviction (api.ts): several budgets or an overlapping one refuse, a blocked budget refuses, a
   * Ready pod needs a disruption allowed. Returns whether the node has no evictable pod left (terminating ones count
   * until their grace period is over); undefined when the node is not (or no longer) registered.
   */
  drainRound(instanceId: string, at: number): boolean | undefined {
    this.settle(at);
    const node = [...this.nodes.values()].find((n) => n.instanceId === instanceId);
    if (!node) return undefined;
    if (!node.unschedulable) {
      node.unschedulable = true;
      this.events.push({ at, kind: 'cordoned', node: node.name });
    }
    const pods = [...this.pods.values()].filter((p) => p.nodeName === node.name && p.kind !== 'DaemonSet');
    for (const pod of pods) {
      if (pod.deleteAt !== undefined) continue;
      const budgets = this.budgetsOf(pod);
      const ref = `${pod.namespace}/${pod.name}`;
      const w = budgets[0];
      const refused = (() => {
        if (budgets.length > 1 || budgets.some((b) => this.overlapOf(b) !== undefined)) return true;
        if (!w) return false;
        const s = this.budget(w, at);
        return this.isBlocked(w) ? true : this.podReady(pod, at) ? s.allowed < 1 : s.healthy < s.desired;
      })();
      if (refused) {
        this.events.push({ at, kind: 'evictionRefused', pod: ref, node: node.name, ...(w ? { pdb: pdbName(w) } : {}) });
        continue;
      }
      this.events.push({ at, kind: 'evicted', pod: ref, node: node.name, ...(w ? { pdb: pdbName(w) } : {}) });
      this.beginTermination(pod, at);
    }
    return pods.length === 0;
  }

  /** Pods deleted without going through the Eviction API (DaemonSet pods excepted): the drain's failures. */
  deletedWithoutEviction(): string[] {
    return this.events.flatMap((e) => (e.kind === 'podDeleted' && e.withoutEviction ? [e.pod] : []));
  }
}

export const pdbName = (w: Workload): string => `${w.name}-pdb`;
