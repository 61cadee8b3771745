import { z } from 'zod';
import { KubernetesFaultSchema, TimingsSchema, WorkloadSchema } from './kubernetes/model.js';

// Amazon EC2 API Reference, "Error codes for the Amazon EC2 API" (InvalidAMIID.Malformed) and EC2 User Guide, "Resource IDs":
// anything but 8 or 17 hex digits is refused, so scenarios must use real-shaped ids.
const AmiId = z.string().regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, 'an AMI id is ami- followed by 8 or 17 hex digits');
const LtVersion = z
  .union([z.string(), z.number().int().positive()])
  .transform(String)
  .pipe(z.string().regex(/^([1-9][0-9]*|\$Latest|\$Default)$/, 'a version is "1".."n", "$Latest" or "$Default"'));

// EC2 User Guide, launch templates (a Systems Manager parameter instead of an AMI ID): a launch template may name an SSM parameter
// (resolve:ssm:); AWS resolves it at each launch.
const SsmImageId = z.string().regex(/^resolve:ssm:\S+$/, 'an SSM ImageId is resolve:ssm: followed by a parameter name');

export const AmiSchema = z.strictObject({
  id: AmiId,
  name: z.string().min(3).max(128),
  platform: z.enum(['windows', 'linux']).default('windows'),
  /** ISO date-time; absent = 30 days before the scenario starts. */
  creationDate: z.iso.datetime().optional(),
  /** 'amazon' (rendered as Amazon's Windows AMI owner 801119661308, alias amazon), 'self' (this account) or a 12-digit account id; absent = 'amazon' for EKS_Optimized names, else the account. */
  owner: z.union([z.enum(['amazon', 'self']), z.string().regex(/^\d{12}$/)]).optional(),
  /** The AMI's tags (e.g. eks-windows-patch:variant on an AMI an earlier run built, for a rollout-only run). */
  tags: z.record(z.string(), z.string()).optional(),
  /** Fast Launch enabled on it by an earlier run (since its creation, its snapshots on hand: fastlaunch.ts); absent = never enabled. */
  fastLaunch: z.strictObject({ targetResourceCount: z.number().int().min(1).default(5), maxParallelLaunches: z.number().int().min(6).default(6) }).optional(),
});

/** The node instance profile of a simulated fleet's launch templates unless a version names another. */
export const DEFAULT_INSTANCE_PROFILE = 'eks-windows-node';

export const LaunchTemplateVersionSpecSchema = z.strictObject({
  /**
   * Absent only for a managed node group of an AWS AMI type (EKS User Guide, "Customize managed nodes with launch templates":
   * with an amiType other than CUSTOM the launch template must not name an ImageId); a self-managed group needs one.
   */
  imageId: z.union([AmiId, SsmImageId]).optional(),
  rootVolumeOverride: z.boolean().default(false),
  /** Root volume size in the version's block device mapping (implies a root-volume override). */
  rootVolumeGiB: z.number().int().min(1).max(16384).optional(),
  userData: z.boolean().default(true),
  instanceType: z.string().default('m5.large'),
  /** The version's instance profile (IamInstanceProfile.Name): absent, fleet's default node profile; null, none. */
  instanceProfile: z.string().nullable().optional(),
  /**
   * What the EKS Windows bootstrap passes to the kubelet (Start-EKSBootstrap.ps1 -KubeletExtraArgs: --node-labels,
   * --register-with-taints), rendered into the version's UserData; nodes launched from it carry these.
   */
  kubelet: z
    .strictObject({
      labels: z.record(z.string().min(1), z.string()).default({}),
      // kubelet reference, --register-with-taints: "<key>=<value>:<effect>" (value optional), effect NoSchedule | PreferNoSchedule | NoExecute.
      taints: z.array(z.string().regex(/^[A-Za-z0-9./_-]+(=[A-Za-z0-9._-]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$/, 'a taint is "key=value:Effect" (Effect NoSchedule, PreferNoSchedule or NoExecute)')).default([]),
    })
    .optional(),
});

export const LaunchTemplateSpecSchema = z.strictObject({
  name: z.string().min(3).max(128),
  /**
   * The template's tags. Absent: the tag the stack's launch template writes are scoped to (config iam.launchTemplateTag's
   * default, eks-windows-patch:node-template=true), as an operator who followed README "Least privilege" has it; `{}`
   * shows the plan refusing the template.
   */
  tags: z.record(z.string(), z.string()).optional(),
  defaultVersion: z.number().int().positive().default(1),
  versions: z.array(LaunchTemplateVersionSpecSchema).min(1),
});

export const AutoScalingGroupSpecSchema = z.strictObject({
  name: z.string().min(1).max(255),
  /** Launch template name; defaults to the group's name (eksctl's habit). */
  launchTemplate: z.string().optional(),
  version: LtVersion.default('1'),
  /** true: a policy with no overrides and all On-Demand; or the overrides and the On-Demand/Spot split. */
  mixedInstancesPolicy: z
    .union([
      z.boolean(),
      z.strictObject({
        overrides: z.array(z.strictObject({ instanceType: z.string().min(3), launchTemplate: z.string().optional() })).default([]),
        onDemandBaseCapacity: z.number().int().min(0).default(0),
        onDemandPercentageAboveBaseCapacity: z.number().int().min(0).max(100).default(100),
        spotAllocationStrategy: z.enum(['lowest-price', 'capacity-optimized', 'capacity-optimized-prioritized', 'price-capacity-optimized']).default('lowest-price'),
      }),
    ])
    .default(false),
  instances: z.number().int().min(0).default(2),
  minSize: z.number().int().min(0).optional(),
  maxSize: z.number().int().min(0).optional(),
  tags: z.record(z.string(), z.string()).default({}),
  terminationHook: z.boolean().default(true),
  /** The first N instances carry scale-in protection (ProtectedFromScaleIn). */
  protectedInstances: z.number().int().min(0).optional(),
  /** The next N instances are in Standby. */
  standbyInstances: z.number().int().min(0).optional(),
  /** Auto Scaling processes suspended on the group (SuspendProcesses), e.g. Launch, Terminate, InstanceRefresh. */
  suspendedProcesses: z.array(z.enum(['Launch', 'Terminate', 'AddToLoadBalancer', 'AlarmNotification', 'AZRebalance', 'HealthCheck', 'InstanceRefresh', 'ReplaceUnhealthy', 'ScheduledActions'])).optional(),
  /** The group has a warm pool (DescribeWarmPool returns its configuration). */
  warmPool: z.boolean().optional(),
  /** The EKS cluster (fleet.clusters) its instances join; also tags the group as eksctl tags a self-managed node group (alpha.eksctl.io/cluster-name, alpha.eksctl.io/nodegroup-name, kubernetes.io/cluster/<name>: owned). */
  cluster: z.string().min(1).optional(),
});

// Amazon EKS API Reference, CreateCluster: name 1–100 characters, ^[0-9A-Za-z][A-Za-z0-9\-_]*$.
const ClusterName = z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'an EKS cluster name is 1-100 letters, digits, - and _, starting with a letter or digit');

export const ClusterSpecSchema = z.strictObject({
  name: ClusterName,
  /** Kubernetes version (DescribeCluster version, "1.31"). */
  version: z.string().regex(/^1\.\d{2}$/, 'a Kubernetes version is like "1.31"').default('1.31'),
  /** "Cluster API server endpoint" (EKS User Guide): public, private or both. */
  endpointAccess: z.enum(['public', 'private', 'both']).default('public'),
  authenticationMode: z.enum(['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP']).default('API_AND_CONFIG_MAP'),
  /** The stack's roles have an EKS access entry mapped to the group eks-windows-patch; false: every call is 401. */
  accessEntry: z.boolean().default(true),
  /** resources/kubernetes-rbac.yaml is applied; false: every call is 403. */
  rbacApplied: z.boolean().default(true),
  /** DescribeCluster "status" (Amazon EKS API Reference, "Cluster" data type): CREATING, ACTIVE, DELETING, FAILED, UPDATING, PENDING. */
  status: z.enum(['CREATING', 'ACTIVE', 'DELETING', 'FAILED', 'UPDATING', 'PENDING']).default('ACTIVE'),
  /**
   * false: the API server endpoint does not answer from where the Lambdas run (EKS User Guide, "Cluster API server endpoint":
   * a private endpoint, public access CIDRs that leave out the Lambdas' egress, or a security group dropping 443). A request's
   * connection never opens: node:https emits 'timeout' after the request's timeout, or a connect ETIMEDOUT error.
   */
  apiReachable: z.boolean().default(true),
  workloads: z.array(WorkloadSchema).default([]),
  timings: TimingsSchema.partial().optional(),
});

export type ClusterSpec = z.output<typeof ClusterSpecSchema>;

// Amazon EKS API Reference, CreateNodegroup: amiType (the Windows and Linux values of the AMIType enumeration); CUSTOM
// when the launch template names its own AMI.
export const AMI_TYPES = ['CUSTOM', 'WINDOWS_CORE_2019_x86_64', 'WINDOWS_FULL_2019_x86_64', 'WINDOWS_CORE_2022_x86_64', 'WINDOWS_FULL_2022_x86_64', 'WINDOWS_CORE_2025_x86_64', 'WINDOWS_FULL_2025_x86_64', 'AL2_x86_64', 'AL2023_x86_64_STANDARD', 'BOTTLEROCKET_x86_64'] as const;

/** An EKS managed node group with a launch template (local/sim/nodegroups.ts). */
export const ManagedNodeGroupSpecSchema = z.strictObject({
  cluster: z.string().min(1),
  // Amazon EKS API Reference, CreateNodegroup: nodegroupName 1-63 characters, letters, digits, - and _, starting with a letter or digit.
  name: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$/, 'a node group name is 1-63 letters, digits, - and _, starting with a letter or digit'),
  /** A launchTemplates[] name. */
  launchTemplate: z.string().min(1),
  /** The launch template version number the node group uses (1, or "1"). */
  version: z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d*$/, 'a node group\'s launch template version is a number').transform(Number)]).default(1),
  /** Absent: CUSTOM when the version has an ImageId, else the scenario must name an AWS AMI type. */
  amiType: z.enum(AMI_TYPES).optional(),
  instances: z.number().int().min(0).default(2),
  // Amazon EKS API Reference, "NodegroupUpdateConfig": maxUnavailable 1-100 (default 1 in "Understand each phase of node updates").
  maxUnavailable: z.number().int().min(1).max(100).default(1),
});
export type ManagedNodeGroupSpec = z.output<typeof ManagedNodeGroupSpecSchema>;

export const ScenarioFleetSchema = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/).default('us-west-2'),
  accountId: z.string().regex(/^\d{12}$/).default('111122223333'),
  amis: z.array(AmiSchema).default([]),
  ssmParameters: z.record(z.string(), z.string()).default({}),
  launchTemplates: z.array(LaunchTemplateSpecSchema).default([]),
  /** IAM instance profiles and their roles (role null: a profile without a role). Default: the node profile every template uses unless it names another. */
  instanceProfiles: z.array(z.strictObject({ name: z.string().min(1).max(128), role: z.string().min(1).max(64).nullable() })).default([{ name: DEFAULT_INSTANCE_PROFILE, role: 'eks-windows-node-role' }]),
  autoScalingGroups: z.array(AutoScalingGroupSpecSchema).default([]),
  clusters: z.array(ClusterSpecSchema).default([]),
  managedNodeGroups: z.array(ManagedNodeGroupSpecSchema).default([]),
  /**
   * The account's On-Demand vCPU quota (Service Quotas ec2 / L-1216C47A, local/sim/quotas.ts). Absent: an account whose
   * quota was raised for its fleet and the stack, 2 x the fleet's vCPUs + stackVcpus + 256 (room for a full 200 % surge, the image builds and Fast Launch);
   * AWS's default for a new account is 5.
   */
  onDemandVcpuQuota: z.number().int().positive().optional(),
  /** vCPUs the pipeline's own image builds and Fast Launch pre-provisioning may run (a rehearsal sets it from the config): the default quota makes room for them too. */
  stackVcpus: z.number().int().min(0).optional(),
  /** vCPUs of On-Demand instances the account runs outside the fleet (other workloads): they count against the quota and DescribeInstances lists them (as m5.xlarge, 4 vCPUs each). */
  otherOnDemandVcpus: z.number().int().min(0).multipleOf(4).optional(),
  /** The stack's role may not read Service Quotas: GetServiceQuota answers AccessDeniedException. */
  serviceQuotasAccessDenied: z.boolean().optional(),
}).superRefine((f, ctx) => {
  // Cross references between clusters, groups and launch templates, each with the fix.
  const clusters = new Map(f.clusters.map((c) => [c.name, c]));
  f.clusters.forEach((c, i) => {
    if (f.clusters.findIndex((o) => o.name === c.name) !== i) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `cluster ${c.name} is listed twice` });
    c.workloads.forEach((w, j) => {
      const asg = f.autoScalingGroups.find((g) => g.name === w.nodeGroup);
      const managed = f.managedNodeGroups.find((g) => g.name === w.nodeGroup && g.cluster === c.name);
      if (managed) return;
      if (!asg) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'workloads', j, 'nodeGroup'], message: `workload ${w.name}: nodeGroup ${w.nodeGroup} is not an auto scaling group of the fleet (nor a managed node group of cluster ${c.name})` });
      else if (asg.cluster !== c.name)
        ctx.addIssue({ code: 'custom', path: ['clusters', i, 'workloads', j, 'nodeGroup'], message: `workload ${w.name}: auto scaling group ${w.nodeGroup} is not in cluster ${c.name} (give it cluster: ${c.name})` });
      if (c.workloads.findIndex((o) => o.name === w.name && o.namespace === w.namespace) !== j) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'workloads', j, 'name'], message: `workload ${w.namespace}/${w.name} is listed twice` });
    });
  });
  f.autoScalingGroups.forEach((g, i) => {
    if (g.cluster !== undefined && !clusters.has(g.cluster))
      ctx.addIssue({ code: 'custom', path: ['autoScalingGroups', i, 'cluster'], message: `auto scaling group ${g.name}: cluster ${g.cluster} is not in fleet.clusters` });
  });
  f.autoScalingGroups.forEach((g, i) => {
    const lt = f.launchTemplates.find((l) => l.name === (g.launchTemplate ?? g.name));
    const n = /^[1-9]\d*$/.test(g.version) ? Number(g.version) : g.version === '$Latest' ? lt?.versions.length : lt?.defaultVersion;
    if (lt && n !== undefined && lt.versions[n - 1] && lt.versions[n - 1]?.imageId === undefined)
      ctx.addIssue({ code: 'custom', path: ['autoScalingGroups', i, 'version'], message: `auto scaling group ${g.name}: launch template ${lt.name} version ${n} has no imageId (only a managed node group of an AWS AMI type goes without)` });
  });
  // EKS User Guide, "Customize managed nodes with launch templates" and API Reference CreateNodegroup.
  f.managedNodeGroups.forEach((g, i) => {
    const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: ['managedNodeGroups', i, key], message: `managed node group ${g.name}: ${message}` });
    if (!clusters.has(g.cluster)) issue('cluster', `cluster ${g.cluster} is not in fleet.clusters`);
    if (f.managedNodeGroups.findIndex((o) => o.name === g.name && o.cluster === g.cluster) !== i) issue('name', `listed twice in cluster ${g.cluster}`);
    const lt = f.launchTemplates.find((l) => l.name === g.launchTemplate);
    if (!lt) return issue('launchTemplate', `launch template ${g.launchTemplate} is not in fleet.launchTemplates`);
    const v = lt.versions[g.version - 1];
    if (!v) return issue('version', `launch template ${lt.name} has no version ${g.version} (it has ${lt.versions.length})`);
    const amiType = g.amiType ?? (v.imageId !== undefined ? 'CUSTOM' : undefined);
    if (amiType === undefined) issue('amiType', `launch template ${lt.name} version ${g.version} has no imageId: give an AWS amiType (e.g. WINDOWS_CORE_2022_x86_64) or an imageId`);
    else if (amiType === 'CUSTOM' && v.imageId === undefined) issue('amiType', `amiType CUSTOM needs an imageId in launch template ${lt.name} version ${g.version}`);
    else if (amiType !== 'CUSTOM' && v.imageId !== undefined) issue('amiType', `amiType ${amiType} is an AWS AMI type: launch template ${lt.name} version ${g.version} must not have an imageId (use amiType CUSTOM)`);
    if (v.imageId?.startsWith('resolve:ssm:')) issue('launchTemplate', `launch template ${lt.name} version ${g.version}: a managed node group's launch template needs an AMI id, not resolve:ssm:`);
  });
  f.launchTemplates.forEach((lt, i) =>
    lt.versions.forEach((v, j) => {
      if (v.kubelet && !v.userData) ctx.addIssue({ code: 'custom', path: ['launchTemplates', i, 'versions', j, 'kubelet'], message: `launch template ${lt.name} version ${j + 1}: kubelet arguments need userData (the bootstrap passes them)` });
    }),
  );
});

/** How many times a fault fires; absent = every matching occurrence. */
const times = z.number().int().positive().optional();

export const FaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('imageBuildFailure'),
    recipe: z.string().min(1),
    reason: z.string().default('Image build failed'),
    at: z.enum(['BUILDING', 'TESTING']).default('BUILDING'),
    times,
  }),
  z.strictObject({
    kind: z.literal('fastLaunchFailure'),
    imageId: AmiId.optional(),
    state: z.enum(['enabling-failed', 'enabled-failed']).default('enabling-failed'),
    reason: z.string().default('Fast Launch pre-provisioning failed'),
    times,
  }),
  z.strictObject({
    kind: z.literal('refreshFailure'),
    asgName: z.string().min(1),
    atPercent: z.number().min(0).max(100).default(50),
    reason: z.string().default('Instances failed to pass health checks'),
    times,
  }),
  z.strictObject({
    kind: z.literal('refreshInProgress'),
    asgName: z.string().min(1),
    minutes: z.number().positive().default(20),
  }),
  z.strictObject({
    kind: z.literal('throttle'),
    rate: z.number().min(0).max(1),
    /** Operation names ("DescribeAutoScalingGroups") or "Service.Operation"; absent = all. */
    operations: z.array(z.string()).optional(),
    /** Services whose calls it throttles (EC2, AutoScaling, Imagebuilder, SSM, SNS, SFN, EKS); absent = all. */
    services: z.array(z.enum(['EC2', 'AutoScaling', 'Imagebuilder', 'SSM', 'SNS', 'SFN', 'EKS', 'IAM', 'S3', 'ServiceQuotas'])).optional(),
    /** Window in simulated minutes from the scenario's start; absent = from the start, for ever. */
    fromMinute: z.number().min(0).optional(),
    forMinutes: z.number().positive().optional(),
  }),
  z.strictObject({
    /** The call takes effect in the account, but its answer is lost on the way back (a network error). */
    kind: z.literal('lostResponse'),
    /** "StartInstanceRefresh" or "Service.Operation". */
    operation: z.string().min(1),
    times: z.number().int().positive().default(1),
    /** Let this many successful matching calls through first (e.g. 1 to spare the operator's own StartExecution). */
    skip: z.number().int().min(0).default(0),
  }),
  z.strictObject({
    /**
     * The managed node group's next UpdateNodegroupVersion ends Failed with this error after `afterBatches` batches
     * (Amazon EKS API Reference, "ErrorDetail" errorCode and the "Issue" codes).
     */
    kind: z.literal('nodegroupUpdateFailure'),
    nodegroup: z.string().min(1),
    cluster: z.string().min(1).optional(),
    error: z.enum(['PodEvictionFailure', 'NodeCreationFailure', 'AsgInstanceLaunchFailures', 'InstanceLimitExceeded', 'InsufficientFreeAddresses', 'AccessDenied', 'InternalFailure']).default('NodeCreationFailure'),
    afterBatches: z.number().int().min(0).default(0),
    times,
  }),
  // Kubernetes faults (local/sim/kubernetes/model.ts): nodesNeverReady, wrongWindowsBuild, evictionBlocked; every cluster sees them.
  ...KubernetesFaultSchema.options,
]);

export const DurationsSchema = z.strictObject({
  imageBuild: z.number().positive().default(60),
  fastLaunchEnable: z.number().positive().default(30),
  instanceLaunch: z.number().positive().default(8),
  /** Minutes from launch until the instance leaves Pending (a launch hook's Pending:Wait, kubelet registers); < instanceLaunch. */
  instanceBoot: z.number().positive().default(4),
});

export type Fleet = z.output<typeof ScenarioFleetSchema>;
export type Fault = z.output<typeof FaultSchema>;
export type Durations = z.output<typeof DurationsSchema>;
