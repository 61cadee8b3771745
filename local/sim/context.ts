import type { SnapshotPool } from './fastlaunch.js';
import type { Durations, Fault } from './fleet.js';

/** An error shaped like an AWS SDK v3 service exception, so production Retry/Catch logic sees the real thing. */
export class SimulatedServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId: string; attempts: number; totalRetryDelay: number };
  constructor(name: string, message: string, httpStatusCode = 400, fault: 'client' | 'server' = 'client') {
    super(message);
    this.name = name;
    this.$fault = fault;
    this.$metadata = { httpStatusCode, requestId: 'simulated', attempts: 1, totalRetryDelay: 0 };
  }
}

export function awsError(name: string, message: string, httpStatusCode = 400): SimulatedServiceError {
  return new SimulatedServiceError(name, message, httpStatusCode);
}

export type Input = Record<string, unknown>;
export type Output = Record<string, unknown>;
export type Handlers = Record<string, (input: Input) => Output>;

/** Primitive fields only: refresh.ts copies instance records shallowly (copyInstances). */
export interface InstanceRec {
  instanceId: string;
  ltId: string;
  version: string;
  versionNumber: number;
  imageId: string;
  /** Scale-in protection (ProtectedFromScaleIn). */
  protected?: boolean;
  /** LifecycleState Standby. */
  standby?: boolean;
  /** A lifecycle state other than InService/Standby while a hooked refresh moves it (Pending, Pending:Wait, Terminating:Wait). */
  lifecycleState?: string;
}
export interface LtVersionRec {
  versionNumber: number;
  description?: string;
  createTime: number;
  data: Record<string, unknown>;
}
export interface LtRec {
  id: string;
  name: string;
  defaultVersion: number;
  createTime: number;
  versions: LtVersionRec[];
  /** The highest version number ever created (set once a version was deleted): numbers are not reused. */
  highestVersion?: number;
}
/** A MixedInstancesPolicy as Auto Scaling stores it, minus the group's own LaunchTemplateSpecification (that is ltId/version). */
export interface MixedPolicyRec {
  overrides: { InstanceType: string; LaunchTemplateSpecification?: { LaunchTemplateId: string; Version: string } }[];
  distribution: Record<string, unknown>;
}
export interface AsgRec {
  name: string;
  arn: string;
  ltId: string;
  version: string;
  mixed: boolean;
  /** Present when mixed. */
  mixedPolicy?: MixedPolicyRec;
  minSize: number;
  maxSize: number;
  desired: number;
  tags: Record<string, string>;
  terminationHook: boolean;
  /** SuspendProcesses names; absent = none. */
  suspendedProcesses?: string[];
  warmPool?: boolean;
  createdTime: number;
  instances: InstanceRec[];
  /** `<cluster>/<nodegroup>` when EKS made this group for a managed node group (nodegroups.ts drives its instances). */
  nodegroup?: string;
  /** Lifecycle hooks put by PutLifecycleHook, append-only versions (a put or a delete at `from`); lifecycle.ts reads them. */
  hooks?: HookRec[];
}
/** One version of a lifecycle hook (PutLifecycleHook / DeleteLifecycleHook at time `from`). */
export interface HookRec {
  name: string;
  transition: 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';
  heartbeatTimeout: number;
  defaultResult: 'CONTINUE' | 'ABANDON';
  notificationMetadata?: string;
  notificationTargetArn?: string;
  roleArn?: string;
  from: number;
  deleted?: boolean;
}
/** A CompleteLifecycleAction or RecordLifecycleActionHeartbeat that was accepted, by token. */
export interface LifecycleInputRec {
  t: number;
  kind: 'complete' | 'heartbeat';
  token: string;
  result?: 'CONTINUE' | 'ABANDON';
}
export interface LtTarget {
  ltId: string;
  ltName: string;
  version: string;
  versionNumber: number;
  imageId: string;
}
export interface RefreshRec {
  /** Extra instances a surge refresh runs beside the group (local/sim/quotas.ts). */
  surgeExtra?: number;
  id: string;
  asgName: string;
  start: number;
  external?: { end: number };
  preferences: Record<string, unknown>;
  desiredConfiguration?: Record<string, unknown>;
  desired: LtTarget;
  previous: LtTarget;
  instancesAtStart: InstanceRec[];
  /** Indices into instancesAtStart, in replacement order, grouped by batch. */
  batches: number[][];
  /** A rollback batch's time: a launch without a pre-provisioned snapshot (fastlaunch.ts, launchMs). */
  batchMs: number;
  /** Per new instance (the order of newIds): whether its launch took a pre-provisioned snapshot (fastlaunch.ts, takeSnapshot). */
  snapshots?: boolean[];
  pendingEnd: number;
  /** Absolute start of each batch's launches (after throttling and checkpoint pauses). */
  batchStarts: number[];
  /** Absolute end time of each batch (checkpoint pauses included). */
  batchEnds: number[];
  bakeMs: number;
  newIds: string[];
  rollbackIds: string[];
  failure?: { afterBatches: number; reason: string; /** When it takes effect (a manual rollback); absent = at the batch boundary. */ at?: number };
  cancelRequestedAt?: number;
  /** Our lifecycle hooks were on the group at start: lifecycle.ts drives the refresh event by event. */
  hooked?: boolean;
  /** Accepted lifecycle calls (hooked refreshes only). */
  inputs?: LifecycleInputRec[];
  /** RollbackInstanceRefresh (hooked refreshes; timeline refreshes record it as `failure.at`). */
  rollbackRequestedAt?: number;
}
/** An accepted UpdateNodegroupVersion (the facts; nodegroups.ts replays the rest). */
export interface NodegroupUpdateRec {
  id: string;
  start: number;
  from: LtTarget;
  to: LtTarget;
  force: boolean;
  /** The node group's instances when the update started. */
  instancesAtStart: InstanceRec[];
  /** A nodegroupUpdateFailure fault taken at the start, or the vCPU quota refusing its scale-up (with EC2's message). */
  failure?: { errorCode: string; afterBatches: number; errorMessage?: string };
  /** The extra instances its scale-up phase runs beside the node group until its scale-down (quotas.ts counts them). */
  surgeExtra?: number;
  /** Per launch (in launch order): whether it took a pre-provisioned snapshot (fastlaunch.ts, takeSnapshot), booked at the start. */
  snapshots?: boolean[];
  clientRequestToken?: string;
}
export interface NodegroupRec {
  cluster: string;
  name: string;
  arn: string;
  asgName: string;
  ltId: string;
  /** The node group's launch template version (changes when an update succeeds). */
  version: string;
  amiType: string;
  maxUnavailable: number;
  createdAt: number;
  updates: NodegroupUpdateRec[];
}
export interface FastLaunchRec {
  imageId: string;
  resourceType: string;
  maxParallelLaunches: number;
  snapshotConfiguration?: Record<string, unknown>;
  launchTemplate?: Record<string, unknown>;
  enabledAt: number;
  failure?: { state: string; reason: string };
  disabledAt?: number;
}
export interface ComponentRec {
  arn: string;
  name: string;
  version: string;
  platform: string;
  data?: string;
  createdAt: number;
}
export interface RecipeRec {
  arn: string;
  name: string;
  version: string;
  parentImage: string;
  components: Record<string, unknown>[];
  createdAt: number;
  raw: Record<string, unknown>;
}
export interface ImageRec {
  arn: string;
  recipeArn: string;
  buildNumber: number;
  createdAt: number;
  parentAmi: string;
  platform: 'windows' | 'linux';
  amiId: string;
  amiName: string;
  infrastructureConfigurationArn: string;
  distributionConfigurationArn?: string;
  failure?: { at: 'BUILDING' | 'TESTING'; reason: string };
  cancelledAt?: number;
  /** DeleteImage: the image resource is gone; its AMI is not (Image Builder API Reference, DeleteImage). */
  deletedAt?: number;
}
export interface PublishRec {
  t: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, unknown>;
  messageId: string;
}
export interface ExecRec {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: string;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
}

/** Everything that can change. JSON-only, so a snapshot is a faithful deep copy. Statuses are never stored: they are derived from event times on read. */
export interface SimState {
  counter: number;
  amis: Record<string, { id: string; name: string; platform: 'windows' | 'linux'; createdAt: number; owner?: string }>;
  tags: Record<string, Record<string, string>>;
  ssm: Record<string, { value: string; type: string; dataType: string; version: number; lastModified: number }>;
  launchTemplates: Record<string, LtRec>;
  /** IAM instance profiles by name and the role each holds (null: none). */
  instanceProfiles: Record<string, { name: string; role: string | null }>;
  asgs: Record<string, AsgRec>;
  /** EKS managed node groups by `<cluster>/<name>`. */
  nodegroups: Record<string, NodegroupRec>;
  refreshes: RefreshRec[];
  fastLaunch: Record<string, FastLaunchRec>;
  components: Record<string, ComponentRec>;
  recipes: Record<string, RecipeRec>;
  images: Record<string, ImageRec>;
  /** DeregisterImage: AMI id → when. The AMI is gone from DescribeImages; its snapshots stay until DeleteSnapshot. */
  deregistered: Record<string, number>;
  /** DeleteSnapshot: snapshot id → when. */
  deletedSnapshots: Record<string, number>;
  /** DeleteImageRecipe / DeleteComponent: ARN → when (the records stay so that outputs can still be explained). */
  deletedImageBuilder: Record<string, number>;
  tokens: Record<string, { hash: string; result: Output }>;
  faultUses: Record<string, number>;
  published: PublishRec[];
  executions: ExecRec[];
  /** Instances launched per second (epoch seconds): EC2's RunInstances resource token bucket (local/sim/ec2-limits.ts). */
  launches?: Record<number, number>;
  /** Fast Launch's pre-provisioned snapshots per AMI: a booking ledger (local/sim/fastlaunch.ts). */
  fastLaunchPools?: Record<string, SnapshotPool>;
  /** Pools replaced by a new enable of their AMI, with when their temporary instances stop (fastlaunch.ts temporaryInstances). */
  retiredFastLaunchPools?: { imageId: string; pool: SnapshotPool; until: number }[];
  /** RunInstances requests per second (epoch seconds): its request token bucket (local/sim/ec2-limits.ts). */
  launchRequests?: Record<number, number>;
  /** The account's On-Demand vCPU quota L-1216C47A (local/sim/quotas.ts); absent: not enforced. */
  vcpuQuota?: number;
  /** The seeded groups' vCPUs, counted once (quotas.ts). */
  vcpuBase?: number;
  /** vCPUs of the account's On-Demand instances outside the fleet (fleet.otherOnDemandVcpus). */
  otherVcpus?: number;
  /** Service Quotas answers AccessDeniedException (the caller lacks servicequotas:GetServiceQuota). */
  vcpuQuotaDenied?: boolean;
}

export interface Ctx {
  state: SimState;
  region: string;
  accountId: string;
  durations: Durations;
  faults: Fault[];
  startedAt: number;
  now(): number;
  nextId(prefix: string, digits?: number): string;
  /** A request id that is not state (reads must not change snapshots). */
  requestId(): string;
  /** Consumes one use of the fault at `index` if it has uses left. */
  takeFault(index: number): boolean;
}

export const MINUTE = 60_000;

export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v instanceof Date ? v.toISOString() : v) ?? 'null';
}

/**
 * Client-token idempotency as AWS does it: same token + same request → the first answer; same token with another
 * request → `mismatch` error. `make` returns JSON data (it is stored in state); callers render Dates from it.
 */
// EC2 Developer Guide, "Ensuring idempotency in Amazon EC2 API requests"; Image Builder API Reference, clientToken /
// IdempotentParameterMismatchException. Not documented how long AWS keeps a token; the simulation keeps it for ever.
export function idempotent<T>(ctx: Ctx, op: string, token: unknown, input: Input, mismatch: string, make: () => T): T {
  if (typeof token !== 'string' || token === '') return make();
  const key = `${op}:${token}`;
  const rest = Object.fromEntries(Object.entries(input).filter(([k]) => k.toLowerCase() !== 'clienttoken'));
  const hash = stableStringify(rest);
  const seen = ctx.state.tokens[key];
  if (seen) {
    if (seen.hash !== hash) throw awsError(mismatch, `Client token ${token} was already used with different parameters.`);
    return structuredClone(seen.result) as T;
  }
  const result = make();
  ctx.state.tokens[key] = { hash, result: JSON.parse(JSON.stringify(result)) as Output };
  return result;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
export const iso = (ms: number): string => new Date(ms).toISOString();
export function required(input: Input, key: string, errorName: string): string {
  const v = input[key];
  if (typeof v !== 'string' || v === '') throw awsError(errorName, `${key} is required`);
  return v;
}
