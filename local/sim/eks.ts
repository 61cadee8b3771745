import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { windowsBuildOfTag } from '../../lib/images.js';
import { asgView } from './autoscaling.js';
import { awsError, type Ctx, type Handlers, type Input } from './context.js';
import { allAmis } from './ec2.js';
import type { ClusterSpec, Fault, Fleet } from './fleet.js';
import { KubernetesApi, SimulatedCluster, type AmiFacts, type RbacRule } from './kubernetes/index.js';
import { managedNodeLabels, nodegroupHandlers, nodegroupAsgName, simulateNodegroup } from './nodegroups.js';

/**
 * Amazon EKS in the simulated account: DescribeCluster, and each cluster's Kubernetes API
 * (local/sim/kubernetes/) fed by the account's instances. A Node registers when its instance
 * boots and goes when the instance is terminated, settled lazily on every Kubernetes request.
 */

/** What the cluster needs to know of an instance (account.instanceHistory()). */
export interface InstanceFacts {
  instanceId: string;
  asgName: string;
  imageId: string;
  ltId: string;
  versionNumber: number;
  launchedAt: number;
  bootedAt: number;
  terminatedAt?: number;
  lifecycleState: string;
}

export interface EksClusterRec {
  spec: ClusterSpec;
  arn: string;
  /** https://<32 upper hex>.gr7.<region>.eks.amazonaws.com */
  endpoint: string;
  host: string;
  /** certificateAuthority.data: base64 of a PEM certificate. */
  caData: string;
  createdAt: number;
  cluster: SimulatedCluster;
  api: KubernetesApi;
  /** Instances whose boot / termination the cluster has already seen. */
  booted: Set<string>;
  gone: Set<string>;
  /** Managed node group drain rounds already applied (`<instance>@<at>`). */
  drained: Set<string>;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** The ClusterRole of resources/kubernetes-rbac.yaml, which the stack asks the operator to apply. */
function manifestRules(): RbacRule[] {
  const text = readFileSync(new URL('../../resources/kubernetes-rbac.yaml', import.meta.url), 'utf8');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as { kind?: string; rules?: RbacRule[] });
  return docs.find((d) => d.kind === 'ClusterRole')?.rules ?? [];
}

// EKS User Guide, "Amazon EKS optimized Windows AMIs": names are Windows_Server-<year>-English-<Core|Full>-EKS_Optimized-<k8s>-<date>;
// the year gives the build ("Well-Known Labels": node.kubernetes.io/windows-build = major.minor.build).
const BUILD_OF_YEAR: Record<string, string> = { '2019': '10.0.17763', '2022': '10.0.20348', '2025': '10.0.26100' };

/** The AMI's name and its ancestors' (an Image Builder output names its recipe; its parent names the Windows and Kubernetes versions). */
function lineage(ctx: Ctx, amiId: string): string[] {
  const amis = allAmis(ctx);
  const names: string[] = [];
  for (let id: string | undefined = amiId, hops = 0; id && hops < 20; hops++) {
    const a = amis.get(id);
    if (a) names.push(a.name);
    id = Object.values(ctx.state.images).find((i) => i.amiId === id)?.parentAmi;
  }
  return names;
}

/** The Start-EKSBootstrap.ps1 arguments a launch template version's kubelet spec renders to (EKS User Guide, "Bootstrap script configuration parameters": -KubeletExtraArgs). */
export function kubeletExtraArgs(kubelet: { labels: Record<string, string>; taints: string[] }): string {
  const args = [
    ...(Object.keys(kubelet.labels).length ? [`--node-labels=${Object.entries(kubelet.labels).map(([k, v]) => `${k}=${v}`).join(',')}`] : []),
    ...(kubelet.taints.length ? [`--register-with-taints=${kubelet.taints.join(',')}`] : []),
  ];
  return args.length ? ` -KubeletExtraArgs '${args.join(' ')}'` : '';
}

/** kubelet reference: --node-labels k=v,…; --register-with-taints key=value:Effect,… — read back from the version's UserData. */
export function kubeletArgsOf(userData: unknown): Pick<AmiFacts, 'labels' | 'taints'> {
  const text = typeof userData === 'string' ? Buffer.from(userData, 'base64').toString('utf8') : '';
  const labels: Record<string, string> = {};
  for (const pair of /--node-labels=([^\s'"]+)/.exec(text)?.[1]?.split(',') ?? []) {
    const [k = '', ...v] = pair.split('=');
    if (k) labels[k] = v.join('=');
  }
  const taints: NonNullable<AmiFacts['taints']> = [];
  for (const t of /--register-with-taints=([^\s'"]+)/.exec(text)?.[1]?.split(',') ?? []) {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t);
    if (m?.[1] && m[3]) taints.push({ key: m[1], ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] as 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' });
  }
  return { labels, taints };
}

export class EksClusters {
  readonly byName = new Map<string, EksClusterRec>();
  private readonly clusterOfAsg = new Map<string, string>();

  constructor(
    private readonly ctx: Ctx,
    fleet: Fleet,
    faults: Fault[],
    private readonly history: () => InstanceFacts[],
  ) {
    for (const g of fleet.autoScalingGroups) if (g.cluster) this.clusterOfAsg.set(g.name, g.cluster);
    // A managed node group's instances are nodes of its cluster; workloads may name the node group (its pods run on its ASG).
    for (const g of fleet.managedNodeGroups) this.clusterOfAsg.set(nodegroupAsgName(g.cluster, g.name), g.cluster);
    const kubernetesFaults = faults.filter((f) => f.kind === 'nodesNeverReady' || f.kind === 'wrongWindowsBuild' || f.kind === 'evictionBlocked' || f.kind === 'overlappingPdb');
    const rules = fleet.clusters.length ? manifestRules() : [];
    const now = ctx.now();
    for (const spec of fleet.clusters) {
      const id = sha(`${ctx.accountId}/${ctx.region}/${spec.name}`);
      const host = `${id.slice(0, 32).toUpperCase()}.gr7.${ctx.region}.eks.amazonaws.com`;
      // A PEM-shaped certificate (never parsed: the simulated endpoint answers before any TLS handshake).
      const body = Buffer.from(sha(`ca/${id}`).repeat(12), 'hex').toString('base64').replace(/(.{64})/g, '$1\n');
      const managed = new Map(fleet.managedNodeGroups.filter((g) => g.cluster === spec.name).map((g) => [g.name, nodegroupAsgName(g.cluster, g.name)]));
      const workloads = spec.workloads.map((w) => ({ ...w, nodeGroup: managed.get(w.nodeGroup) ?? w.nodeGroup }));
      const cluster = new SimulatedCluster({ name: spec.name, region: ctx.region, now: () => ctx.now(), workloads, faults: kubernetesFaults, ...(spec.timings ? { timings: spec.timings } : {}) });
      this.byName.set(spec.name, {
        spec,
        arn: `arn:aws:eks:${ctx.region}:${ctx.accountId}:cluster/${spec.name}`,
        endpoint: `https://${host}`,
        host: host.toLowerCase(),
        caData: Buffer.from(`-----BEGIN CERTIFICATE-----\n${body.trimEnd()}\n-----END CERTIFICATE-----\n`).toString('base64'),
        createdAt: now - 365 * 24 * 3_600_000,
        cluster,
        // rbacApplied false: the ClusterRole is missing, so the authorizer denies everything (403).
        api: new KubernetesApi(cluster, spec.rbacApplied ? rules : []),
        booted: new Set(),
        gone: new Set(),
        drained: new Set(),
      });
    }
  }

  /**
   * The scenario's instances are in the cluster before the run starts: their Nodes registered at boot and turned
   * Ready, and the Deployments' pods were placed once every node was Ready.
   */
  start(): void {
    for (const rec of this.byName.values()) {
      const initial = this.instancesOf(rec.spec.name).filter((h) => h.bootedAt <= this.ctx.now() && h.terminatedAt === undefined);
      // Never settled past now: with instances booted just before the start, the pods are still starting at the start.
      const readyBy = Math.min(Math.max(...initial.map((h) => h.bootedAt + rec.cluster.timings.nodeReadySeconds * 1000), this.ctx.now() - 20 * 60_000), this.ctx.now());
      this.sync(rec, readyBy);
      rec.cluster.startWorkloads(readyBy);
      this.sync(rec);
    }
  }

  forHost(hostname: string): EksClusterRec | undefined {
    const h = hostname.toLowerCase();
    return [...this.byName.values()].find((r) => r.host === h);
  }

  private instancesOf(cluster: string): InstanceFacts[] {
    return this.history().filter((h) => this.clusterOfAsg.get(h.asgName) === cluster);
  }

  /** Applies the instances' boots and terminations up to `until`, in time order, then settles the cluster. */
  sync(rec: EksClusterRec, until = this.ctx.now()): void {
    const steps: { at: number; boot: boolean; h: InstanceFacts }[] = [];
    for (const h of this.instancesOf(rec.spec.name)) {
      if (!rec.booted.has(h.instanceId) && h.bootedAt <= until && (h.terminatedAt === undefined || h.bootedAt < h.terminatedAt)) steps.push({ at: h.bootedAt, boot: true, h });
      if (!rec.gone.has(h.instanceId) && h.terminatedAt !== undefined && h.terminatedAt <= until) steps.push({ at: h.terminatedAt, boot: false, h });
    }
    // Managed node group updates drain their old nodes round by round (nodegroups.ts): the same rounds on this cluster.
    const rounds: { at: number; instanceId: string }[] = [];
    for (const ng of Object.values(this.ctx.state.nodegroups))
      if (ng.cluster === rec.spec.name)
        for (const tl of simulateNodegroup(this.ctx, ng)) for (const r of tl.drainRounds) if (r.at <= until && !rec.drained.has(`${r.instanceId}@${r.at}`)) rounds.push(r);
    type Step = { at: number; boot: boolean; h: InstanceFacts } | { at: number; drain: string };
    const all: Step[] = [...steps, ...rounds.map((r) => ({ at: r.at, drain: r.instanceId }))];
    // At one moment: boots, then drain rounds, then terminations.
    const rank = (s: Step) => ('drain' in s ? 1 : s.boot ? 0 : 2);
    all.sort((a, b) => a.at - b.at || rank(a) - rank(b));
    for (const s of all) {
      if ('drain' in s) {
        rec.drained.add(`${s.drain}@${s.at}`);
        rec.cluster.drainRound(s.drain, s.at);
        continue;
      }
      if (s.boot) {
        rec.booted.add(s.h.instanceId);
        rec.cluster.registerNode(s.h.instanceId, this.facts(s.h, rec.spec), s.at);
      } else {
        rec.gone.add(s.h.instanceId);
        // "Garbage Collection" (kubernetes.io) and the EKS node lifecycle: the cloud node controller deletes the Node of a
        // terminated instance; its pods go without eviction (counted by deletedWithoutEviction()).
        rec.cluster.removeNode(s.h.instanceId, s.at);
      }
    }
    rec.cluster.settle(until);
  }

  /** What the instance's AMI and launch template version make of its Node. */
  private facts(h: InstanceFacts, cluster: ClusterSpec): AmiFacts {
    const names = lineage(this.ctx, h.imageId);
    // Amazon's names first (Windows_Server-2022-…), then a custom AMI's habit (eks-win2022-…, ltsc2022, 10.0.20348).
    const year = names.map((n) => /Windows_Server-(2019|2022|2025)-/.exec(n)?.[1] ?? /win(?:dows)?[-_ ]?(?:server[-_ ]?)?(2019|2022|2025)(?!\d)/i.exec(n)?.[1]).find(Boolean);
    // An AMI whose names say no build gets one the readiness gate refuses (the stricter reading).
    const windowsBuild = (year ? BUILD_OF_YEAR[year] : names.map(windowsBuildOfTag).find(Boolean)) ?? 'unknown';
    // Knowingly simplified: an AMI whose names say no Kubernetes version runs the cluster's.
    const minor = names.map((n) => /EKS_Optimized-(1\.\d{2})(?!\d)/.exec(n)?.[1]).find(Boolean) ?? cluster.version;
    const digest = sha(h.imageId);
    // "Amazon EKS Kubernetes versions": kubelet reports v<minor>.<patch>-eks-<commit>.
    const kubeletVersion = `v${minor}.${parseInt(digest.slice(0, 2), 16) % 10}-eks-${digest.slice(2, 9)}`;
    const lt = this.ctx.state.launchTemplates[h.ltId];
    const version = lt?.versions.find((v) => v.versionNumber === h.versionNumber);
    const args = kubeletArgsOf(version?.data.UserData);
    // "Understand each phase of node updates" › Scale up phase: the labels EKS applies to a managed node group's nodes.
    const ngKey = this.ctx.state.asgs[h.asgName]?.nodegroup;
    const ng = ngKey !== undefined ? this.ctx.state.nodegroups[ngKey] : undefined;
    if (ng) args.labels = { ...args.labels, ...managedNodeLabels(ng, h) };
    return { amiId: h.imageId, asgName: h.asgName, windowsBuild, kubeletVersion, availabilityZone: this.zoneOf(h), ...args };
  }

  /** The AZ DescribeAutoScalingGroups shows for the instance (autoscaling.ts alternates a/b by position). */
  private zoneOf(h: InstanceFacts): string {
    const asg = this.ctx.state.asgs[h.asgName];
    const n = asg ? asgView(this.ctx, asg).instances.findIndex((i) => i.instanceId === h.instanceId) : -1;
    const index = n >= 0 ? n : parseInt(sha(h.instanceId).slice(0, 2), 16);
    return `${this.ctx.region}${index % 2 === 0 ? 'a' : 'b'}`;
  }

  handlers(): Handlers {
    return {
      ...nodegroupHandlers(this.ctx, (name) => {
        const rec = this.byName.get(name);
        return rec ? { status: rec.spec.status } : undefined;
      }),
      // Amazon EKS API Reference, DescribeCluster: name is required (1-100 characters); an unknown cluster is
      // ResourceNotFoundException (HTTP 404) "No cluster found for name: <name>.".
      DescribeCluster: (input: Input) => {
        const name = input.name;
        if (typeof name !== 'string' || name.length < 1 || name.length > 100) throw awsError('InvalidParameterException', 'name must be 1-100 characters.');
        const rec = this.byName.get(name);
        if (!rec) throw awsError('ResourceNotFoundException', `No cluster found for name: ${name}.`, 404);
        return { cluster: this.render(rec) };
      },
    };
  }

  // Amazon EKS API Reference, "Cluster" data type (and "VpcConfigResponse", "AccessConfigResponse"); "Cluster API
  // server endpoint" (EKS User Guide): public only by default, private, or both; publicAccessCidrs only with a public endpoint.
  private render(rec: EksClusterRec): Record<string, unknown> {
    const { spec, arn } = rec;
    const id = sha(arn);
    const pub = spec.endpointAccess !== 'private';
    const priv = spec.endpointAccess !== 'public';
    return {
      name: spec.name,
      arn,
      createdAt: new Date(rec.createdAt),
      version: spec.version,
      endpoint: rec.endpoint,
      roleArn: `arn:aws:iam::${this.ctx.accountId}:role/${spec.name}-cluster-role`,
      resourcesVpcConfig: {
        subnetIds: [`subnet-${id.slice(0, 17)}`, `subnet-${id.slice(17, 34)}`],
        securityGroupIds: [],
        clusterSecurityGroupId: `sg-${id.slice(34, 51)}`,
        vpcId: `vpc-${id.slice(47, 64)}`,
        endpointPublicAccess: pub,
        endpointPrivateAccess: priv,
        publicAccessCidrs: pub ? ['0.0.0.0/0'] : [],
      },
      kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' },
      identity: { oidc: { issuer: `https://oidc.eks.${this.ctx.region}.amazonaws.com/id/${rec.host.slice(0, 32).toUpperCase()}` } },
      status: spec.status,
      certificateAuthority: { data: rec.caData },
      platformVersion: 'eks.9',
      tags: {},
      accessConfig: { bootstrapClusterCreatorAdminPermissions: true, authenticationMode: spec.authenticationMode },
    };
  }
}
