import { z } from 'zod';
import { ConfigError } from './errors.js';
import { describeIssues } from './issues.js';
import { fastLaunchQuotaProblem } from './fastlaunch/quota.js';
import { managedCluster } from './config/kubernetes.js';
import { configImageIssues } from './config/images.js';
import { scheduleExpressionProblem } from './config/schedule.js';
import { explainUnknownKeys } from './config/unknown-keys.js';
import { generatedNameProblems, type NameTarget } from './config/aws-names.js';

/**
 * The operator's one config file (pipeline.config.yml), validated once.
 * Every rule here exists because AWS would reject the value later, after
 * something was already written — or would accept it and do the wrong thing.
 */

const windowsVersions = ['2019', '2022', '2025'] as const;

/** A zone Intl knows: the monthly gate computes "today" in it every day, so a typo would fail daily. */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
const editions = ['Core', 'Full'] as const;

/** EKS CreateCluster's rule for `name` (Amazon EKS API Reference, "CreateCluster": 1-100 chars, ^[0-9A-Za-z][A-Za-z0-9\-_]*$). */
export const ClusterNameSchema = z
  .string()
  .min(1, 'give the EKS cluster name (1-100 characters)')
  .max(100, 'an EKS cluster name has at most 100 characters')
  .regex(/^[0-9A-Za-z][A-Za-z0-9\-_]*$/, 'use the EKS cluster name: letters, digits, "-" and "_", starting with a letter or digit (e.g. "prod-eks")');

/** EKS CreateNodegroup's rule for `nodegroupName` (Amazon EKS API Reference: 1-63 chars, letters, digits, "-" and "_", starting with a letter or digit). */
export const NodegroupNameSchema = z
  .string()
  .min(1, 'give the EKS managed node group name (1-63 characters)')
  .max(63, 'an EKS managed node group name has at most 63 characters')
  .regex(/^[0-9A-Za-z][A-Za-z0-9\-_]*$/, 'use the managed node group name as EKS shows it: letters, digits, "-" and "_", starting with a letter or digit');

/**
 * One entry of a variant's nodeGroups: a self-managed ASG (asgName or tag) or an EKS managed
 * node group (managedNodeGroup, updated through EKS: UpdateNodegroupVersion). One flat object
 * (not a union) so that code reading `g.asgName` / `g.tag` keeps compiling; the refine says
 * which combinations are allowed.
 */
export const NodeGroupSelectorSchema = z
  .object({
    asgName: z.string().min(1).max(255).optional(),
    tag: z
      .object({ key: z.string().min(1).max(128), value: z.string().min(1).max(256) })
      .strict()
      .optional(),
    /** An EKS managed node group of `cluster` (the selector's, else the variant's: one of them is required). */
    managedNodeGroup: NodegroupNameSchema.optional(),
    canary: z.boolean().default(false),
    /** The EKS cluster of the group(s); wins over the variant's `cluster` and over the ASG's cluster tags. */
    cluster: ClusterNameSchema.optional(),
  })
  .strict()
  .refine((s) => [s.asgName, s.tag, s.managedNodeGroup].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of asgName (an Auto Scaling group name), tag ({ key, value }) or managedNodeGroup (an EKS managed node group name, with cluster)',
  });

export const CachedImageSchema = z
  .object({
    ref: z.string().min(1),
    /** A manifest list that carries every Windows build; skips the tag-based build check. */
    multiPlatform: z.boolean().default(false),
    /** The Windows Server version the image is built for, for tags that do not say it (semver, digests). */
    windows: z.enum(windowsVersions, { message: 'use "2019", "2022" or "2025" (quoted): the Windows Server version the image is built for' }).optional(),
  })
  .strict();

export const VariantSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,29}$/, 'use 1-30 lowercase letters, digits or dashes, e.g. "win2022-core-131"'),
    windows: z.enum(windowsVersions, { message: 'use "2019", "2022" or "2025" (quoted)' }),
    edition: z.enum(editions, { message: 'use "Core" or "Full"' }),
    kubernetes: z
      // YAML reads an unquoted 1.30 as the number 1.3.
      .string({ error: (iss) => (typeof iss.input === 'number' ? `write the version in quotes, kubernetes: "${iss.input.toFixed(2)}" (unquoted, YAML reads it as the number ${iss.input})` : undefined) })
      .regex(/^1\.\d{2}$/, 'use the EKS minor version as a quoted string, e.g. "1.31"'),
    /** The EKS cluster of the variant's node groups (a node group's own `cluster` wins; absent: the ASG's cluster tags). */
    cluster: ClusterNameSchema.optional(),
    /**
     * Required, and may be empty: `nodeGroups: []` is a Karpenter-only variant (its AMI and the
     * AMI parameter, no rollout). The key is required so that a forgotten list is not read as that.
     */
    nodeGroups: z.array(NodeGroupSelectorSchema),
    /** Images to cache in this variant's AMI, on top of the fleet-wide `images`. */
    images: z.array(CachedImageSchema).default([]),
  })
  .strict();

const percentage = z.number().int().min(0).max(100);

/**
 * Progressive waves after the canary (lib/rollout/waves.ts planWaves). Fleet-wide limits are shared
 * evenly by the variants of a run, which roll out side by side in their own executions.
 */
export const ProgressiveWavesSchema = z.object({
  /** Each wave after the canary at most this many times the groups of the wave before it (bench/RESULTS.md: 4 against 2). */
  growth: z.number().min(1.5, 'use at least 1.5, or the waves hardly grow').max(10).optional(),
  /** Node groups refreshing at once in the whole fleet. */
  maxConcurrentGroups: z.number().int().min(1).max(10000).optional(),
  /** Instances being replaced at once in the whole fleet (each group's batch); 1,000 is EC2's RunInstances resource bucket. */
  maxInstancesOutOfService: z.number().int().min(1).optional(),
  /**
   * When the next wave may start (lib/rollout/hand-over.ts): firstBatch (default) once every group of this wave has
   * replaced its first batch (healthy and warmed up; Ready where the readiness gate is on), while the rest of the wave keeps refreshing beside the next one
   * (only when both waves fit the limits above together); complete once every group of this wave finished. The first
   * wave (the canary) always completes first; checkpoints, bake time and alarms turn hand-over off.
   */
  waveGate: z.enum(['firstBatch', 'complete']).optional(),
  /**
   * Launch a group's replacements first, in one or two batches: MaxHealthyPercentage up to maxHealthyPercentage for
   * every group whose extra instances fit; maxExtraInstances is the fleet-wide budget of instances above desired capacity.
   */
  surge: z
    .object({
      maxHealthyPercentage: z.number().int().min(101).max(200).default(200),
      maxExtraInstances: z.number().int().min(1),
    })
    .strict()
    .optional(),
});
export { WAVE_DEFAULTS } from './config/waves.js';

export const RolloutSchema = z
  .object({
    /**
     * Launch before terminate (Auto Scaling user guide, "Instance maintenance policies"): MinHealthy 100 never takes a
     * group below its desired in-service capacity; MaxHealthy above 100 lets the refresh launch the replacement first.
     * For 1-2 instance groups 110 % rounds to one extra instance at a time (AWS replaces at least one).
     */
    minHealthyPercentage: percentage.default(100),
    maxHealthyPercentage: z.number().int().min(100).max(200).default(110),
    /** Absent: not sent, so the group's DefaultInstanceWarmup (or its health check grace period) applies (RefreshPreferences.InstanceWarmup). */
    instanceWarmupSeconds: z.number().int().min(0).optional(),
    checkpointPercentages: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .refine((xs) => xs.every((x, i) => i === 0 || x > (xs[i - 1] as number)), 'list checkpoints in ascending order')
      // Auto Scaling ends a refresh Successful at the last checkpoint: below 100 part of the group is never replaced.
      .refine((xs) => xs.at(-1) === 100, 'the last checkpoint must be 100, or the refresh ends Successful with part of the group on the old AMI: add 100 at the end')
      .optional(),
    checkpointDelaySeconds: z.number().int().min(0).max(172800).optional(),
    bakeTimeSeconds: z.number().int().min(0).max(172800).optional(),
    alarms: z.array(z.string().min(1)).max(10).default([]),
    /** Fixed waves (the old sizing): every wave after the canary exactly this many groups, in config order. Absent: progressive waves (growth, maxConcurrentGroups, maxInstancesOutOfService). */
    waveSize: z.number().int().min(1).max(100).optional(),
    ...ProgressiveWavesSchema.shape,
    /** AutoRollback is impossible for ASGs on $Latest/$Default; refuse them unless this is true. */
    allowUnpinnedVersions: z.boolean().default(false),
    /** With allowUnpinnedVersions: a new version reaches every group on $Latest/$Default of the template at once; refuse templates shared with groups outside the run unless this is true. */
    allowSharedUnpinnedTemplates: z.boolean().default(false),
    /**
     * EKS has no automatic rollback for a managed node group (UpdateNodegroupVersion): when its update fails or its
     * nodes are not Ready, the run updates it back to the launch template version it ran before (a second update).
     */
    rollBackManagedNodeGroups: z.boolean().default(true),
    /**
     * UpdateNodegroupVersion `force`: EKS drains each node respecting PodDisruptionBudgets and fails the update
     * (PodEvictionFailure) after 15 minutes; true replaces the nodes anyway, killing the pods a PDB protects.
     */
    forceManagedNodeGroupUpdates: z.boolean().default(false),
    setDefaultVersion: z.boolean().default(false),
    scaleInProtectedInstances: z.enum(['Refresh', 'Ignore', 'Wait']).default('Ignore'),
    standbyInstances: z.enum(['Terminate', 'Ignore', 'Wait']).default('Ignore'),
    /** Polls of a wave: InstanceRefreshInProgressFault retries before the group is skipped. */
    busyRetries: z.number().int().min(0).max(20).default(6),
    /** Past this, counted from the wave's start, a wave fails with its report; absent = derived from group sizes, batches, warm-up, checkpoints (lib/rollout/deadline.ts). */
    waveTimeoutMinutes: z.number().int().min(10).max(10080).optional(),
  })
  .strict();

export const ImageBuilderSchema = z
  .object({
    subnetId: z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'use a subnet id like subnet-0123456789abcdef0'),
    securityGroupIds: z
      .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'use a security group id like sg-0123456789abcdef0'))
      .min(1),
    instanceTypes: z.array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, 'use an instance type like m6i.xlarge')).min(1).default(['m6i.xlarge']),
    rootVolumeGiB: z.number().int().min(50).max(16384).default(100),
    pollSeconds: z.number().int().min(30).max(3600).default(300),
    timeoutMinutes: z.number().int().min(30).max(1440).default(240),
  })
  .strict();

export const FastLaunchSchema = z
  .object({
    enabled: z.boolean().default(true),
    maxParallelLaunches: z.number().int().min(6, 'EC2 requires at least 6').max(40, 'the default regional quota is 40').default(6),
    targetResourceCount: z.number().int().min(1).default(5),
    onFailure: z.enum(['warn', 'fail']).default('warn'),
    pollSeconds: z.number().int().min(30).max(3600).default(120),
    /** EC2's regional quota of parallel Fast Launch launches, shared by every AMI (raise it in Service Quotas). */
    regionalQuota: z.number().int().min(6).default(40),
  })
  .strict();

export const TriggersSchema = z
  .object({
    detectSchedule: z
      .string()
      .superRefine((s, ctx) => {
        const problem = scheduleExpressionProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('rate(1 hour)'),
    patchTuesdayOffsetDays: z.number().int().min(0).max(20).default(5),
    timeZone: z.string().refine(isTimeZone, 'use an IANA time zone such as "UTC" or "Europe/Berlin"').default('UTC'),
    subscribeToAwsTopic: z.boolean().default(false),
    forceMonthlyRebuild: z.boolean().default(false),
  })
  .strict();

/** How many patched AMIs per variant outlive retention, besides every one still referenced (README "Retention"). */
export const RetentionSchema = z
  .object({
    keepImages: z.number().int().min(1, 'keep at least 1: the AMI the node groups run').max(100).default(3),
    /** false: nothing is deleted at the end of a run (the retention CLI still lists what it would delete). */
    enabled: z.boolean().default(true),
  })
  .strict();

const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'use a subnet id like subnet-0123456789abcdef0');
const securityGroupId = z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'use a security group id like sg-0123456789abcdef0');

export const KubernetesSchema = z
  .object({
    /** Absent: on for every group whose cluster is known. true: a group without a known cluster fails the plan. */
    readinessGate: z.boolean().optional(),
    /**
     * The launch hook's heartbeat is this + 5 minutes, and Auto Scaling caps a heartbeat at 7,200 s
     * (PutLifecycleHook HeartbeatTimeout 30-7200): so at most 110 minutes.
     */
    readinessTimeoutMinutes: z.number().int().min(1, 'give at least 1 minute').max(110, 'at most 110: the launch hook waits this + 5 minutes, and Auto Scaling caps a hook\'s heartbeat at 7200 s').default(15),
    drain: z
      .object({
        /** Absent: on for every group whose cluster is known (unless another drainer's termination hook is there). */
        enabled: z.boolean().optional(),
        // The drain hook's heartbeat is 300 s and Auto Scaling's global timeout is 100 heartbeats (500 min, API Reference
        // "LifecycleHook" GlobalTimeout): past it the instance terminates mid-drain whatever the heartbeats say.
        timeoutMinutes: z.number().int().min(1, 'give at least 1 minute').max(480, 'at most 480 (8 h): Auto Scaling ends a lifecycle action after 100 heartbeats of 300 s').default(30),
        /** rollback: stop the group's refresh and roll it back; terminate: terminate the instance anyway (its pods are killed). */
        onTimeout: z.enum(['rollback', 'terminate'], { message: 'use "rollback" (stop the refresh and roll back) or "terminate" (terminate anyway)' }).default('rollback'),
      })
      .strict()
      .default({ timeoutMinutes: 30, onTimeout: 'rollback' }),
    /** For clusters whose endpoint is private only: the Lambdas that talk to Kubernetes run in these subnets. */
    vpc: z
      .object({
        subnetIds: z.array(subnetId).min(1, 'list at least one subnet the cluster endpoint is reachable from'),
        securityGroupIds: z.array(securityGroupId).min(1, 'list at least one security group the cluster\'s control plane accepts on 443').max(5, 'Lambda takes at most 5 security groups'),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * What the stack may write (scripts/pipeline-config.cjs turns these into the roles' Resource and Condition; the plan
 * verifies each group against them before any write). Launch template writes (CreateLaunchTemplateVersion,
 * ModifyLaunchTemplate) support only the launch-template resource with aws:ResourceTag (Service Authorization
 * Reference, Amazon EC2): by the ids in launchTemplateIds when given, else by launchTemplateTag on the template.
 * iam:PassRole (the node groups' instance profiles, checked by Auto Scaling for StartInstanceRefresh) is limited
 * to nodeRoleArns, or to roles whose name matches nodeRoleNamePattern (IAM wildcards * and ?).
 */
const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'use a role ARN like arn:aws:iam::123456789012:role/eks-windows-node');
export const IamSchema = z
  .object({
    launchTemplateTag: z
      .object({ key: z.string().min(1).max(127), value: z.string().max(255) })
      .strict()
      .default({ key: 'eks-windows-patch:node-template', value: 'true' }),
    launchTemplateIds: z.array(z.string().regex(/^lt-[0-9a-f]{8,17}$/, 'use a launch template id like lt-0123456789abcdef0')).min(1).optional(),
    nodeRoleArns: z.array(roleArn).min(1).optional(),
    nodeRoleNamePattern: z.string().regex(/^[\w+=,.@*?-]{1,64}$/, 'use a role name with IAM wildcards, e.g. "eks-win-node-*" (letters, digits, +=,.@_- and * ?)').optional(),
  })
  .strict()
  .refine((i) => !(i.nodeRoleArns && i.nodeRoleNamePattern), { message: 'give nodeRoleArns or nodeRoleNamePattern, not both', path: ['nodeRoleNamePattern'] });

/**
 * Prices of the run's modelled cost (lib/cost/model.ts), in USD, and the model's assumptions. Defaults: us-west-2
 * On-Demand list prices (Amazon EC2 pricing: m6i.xlarge Windows $0.376/h; Amazon EBS pricing: snapshots standard
 * $0.05/GB-month; AWS Step Functions pricing: Standard $0.025 per 1,000 state transitions; AWS Lambda pricing: arm64
 * $0.0000133334 per GB-second, $0.20 per 1M requests). Override them for your region, instance types and discounts.
 */
const price = z.number().min(0, 'a price is 0 or more (USD)');
export const CostsSchema = z
  .object({
    instanceHourUsd: z.record(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, 'key by instance type, e.g. m6i.xlarge'), price).default({ 'm6i.xlarge': 0.376 }),
    snapshotGbMonthUsd: price.default(0.05),
    stateTransitionUsd: price.default(0.000025),
    lambdaGbSecondUsd: price.default(0.0000133334),
    lambdaRequestUsd: price.default(0.0000002),
    fastLaunchMinutesPerSnapshot: z.number().min(0).default(20),
    /** Absent: retention.keepImages (retention keeps that many monthly AMIs). */
    amiMonthsKept: z.number().int().min(1).optional(),
    lambdaSecondsPerInvocation: z.number().min(0).default(2),
  })
  .strict();

export const PipelineConfigSchema = z
  .object({
    variants: z.array(VariantSchema).min(1, 'configure at least one variant'),
    images: z.array(CachedImageSchema).default([]),
    admins: z.array(z.email('use an e-mail address like ops@example.com')).default([]),
    rollout: RolloutSchema.default(RolloutSchema.parse({})),
    imageBuilder: ImageBuilderSchema,
    fastLaunch: FastLaunchSchema.default(FastLaunchSchema.parse({})),
    triggers: TriggersSchema.default(TriggersSchema.parse({})),
    kubernetes: KubernetesSchema.default(KubernetesSchema.parse({})),
    iam: IamSchema.default(IamSchema.parse({})),
    costs: CostsSchema.default(CostsSchema.parse({})),
    retention: RetentionSchema.default(RetentionSchema.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.variants.forEach((v, i) => {
      if (seen.has(v.id)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'id'], message: `variant id "${v.id}" is used twice: make each id unique` });
      seen.add(v.id);
    });
    const { minHealthyPercentage: min, maxHealthyPercentage: max } = cfg.rollout;
    // Auto Scaling refuses the refresh (mid-run, after the image build) when the spread exceeds 100.
    if (max - min > 100)
      ctx.addIssue({ code: 'custom', path: ['rollout', 'maxHealthyPercentage'], message: `must be at most 100 above minHealthyPercentage (${min}): use ${min + 100} or less` });
    if (max === 100 && min === 100)
      ctx.addIssue({ code: 'custom', path: ['rollout', 'maxHealthyPercentage'], message: 'with minHealthyPercentage 100 it must be above 100 (e.g. 110), or no instance can be replaced' });
    for (const issue of configImageIssues(cfg)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, params: { hideValue: true } });
    if (cfg.rollout.surge && cfg.rollout.surge.maxHealthyPercentage - min > 100)
      ctx.addIssue({ code: 'custom', path: ['rollout', 'surge', 'maxHealthyPercentage'], message: `must be at most 100 above minHealthyPercentage (${min}): use ${min + 100} or less` });
    if (cfg.rollout.waveSize !== undefined && (cfg.rollout.growth !== undefined || cfg.rollout.maxConcurrentGroups !== undefined))
      ctx.addIssue({ code: 'custom', path: ['rollout', 'waveSize'], message: 'fixed waves (waveSize) and progressive waves (growth, maxConcurrentGroups) exclude each other: remove waveSize' });
    const quotaProblem = fastLaunchQuotaProblem(cfg, cfg.fastLaunch.regionalQuota);
    if (quotaProblem) ctx.addIssue({ code: 'custom', path: ['fastLaunch', 'maxParallelLaunches'], message: quotaProblem });
    const asgOwner = new Map<string, string>();
    const nodegroupOwner = new Map<string, string>();
    cfg.variants.forEach((v, i) =>
      v.nodeGroups.forEach((g, j) => {
        if (g.managedNodeGroup !== undefined) {
          const cluster = managedCluster(v, g);
          if (cluster === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['variants', i, 'nodeGroups', j, 'cluster'],
              message: `the managed node group "${g.managedNodeGroup}" needs its EKS cluster: add cluster: <name> to this node group ({ managedNodeGroup: ${g.managedNodeGroup}, cluster: <name> }) or to variant "${v.id}"`,
            });
            return;
          }
          const key = `${cluster}/${g.managedNodeGroup}`;
          const owner = nodegroupOwner.get(key);
          if (owner) ctx.addIssue({ code: 'custom', path: ['variants', i, 'nodeGroups', j, 'managedNodeGroup'], message: `managed node group ${key} already belongs to variant "${owner}": a node group runs one AMI` });
          nodegroupOwner.set(key, v.id);
          return;
        }
        if (!g.asgName) return;
        const owner = asgOwner.get(g.asgName);
        if (owner) ctx.addIssue({ code: 'custom', path: ['variants', i, 'nodeGroups', j, 'asgName'], message: `ASG "${g.asgName}" already belongs to variant "${owner}": a node group runs one AMI` });
        asgOwner.set(g.asgName, v.id);
      }),
    );
  });

export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;
export type Variant = z.infer<typeof VariantSchema>;
export type NodeGroupSelector = z.infer<typeof NodeGroupSelectorSchema>;
export type CachedImage = z.infer<typeof CachedImageSchema>;
export type Rollout = z.infer<typeof RolloutSchema>;
export type KubernetesConfig = z.infer<typeof KubernetesSchema>;

/** Per-group gate/drain/cluster answers: lib/config/kubernetes.ts (no zod, so Lambdas can import it). */
/** With `target` (stage, region and functions of a deploy) the names the stack would generate are checked too. */
export function parseConfig(raw: unknown, source = 'pipeline config', target?: Omit<NameTarget, 'variantIds'>): PipelineConfig {
  const result = PipelineConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, [...new Set(describeIssues(explainUnknownKeys(result.error.issues, PipelineConfigSchema, raw), raw))]);
  const names = target ? generatedNameProblems({ ...target, variantIds: result.data.variants.map((v) => v.id) }) : [];
  if (names.length) throw new ConfigError(source, names);
  return result.data;
}
