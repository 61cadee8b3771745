import { awsError, type Ctx, type Handlers, type Input, type RefreshRec } from './context.js';
import { temporaryInstanceVcpus } from './fastlaunch.js';
import { buildEndsAt } from './imagebuilder.js';
import { nodegroupSurgeVcpus } from './nodegroups.js';

/**
 * The account's On-Demand vCPU quota. Service Quotas, ServiceCode `ec2`, QuotaCode `L-1216C47A` ("Running On-Demand
 * Standard (A, C, D, H, I, M, R, T, Z) instances"), counted in vCPUs over every running or pending On-Demand instance of
 * the account and Region (EC2 User Guide, "Amazon EC2 service quotas" / "On-Demand Instance quotas"). A launch over it
 * gets `VcpuLimitExceeded` (EC2 API Reference, "Error codes") with the message below.
 *
 * An instance counts the vCPUs of its launch template version's InstanceType (EC2 Instance Types guide: large 2,
 * xlarge 4, Nxlarge 4N; medium 1, 2 for T); an unknown size counts 2 (m5.large, the fleet's default type). An Image
 * Builder build is one 2-vCPU instance while it runs, a Fast Launch temporary instance its enable's launch template type
 * (fastlaunch.ts). A managed node group update's scale-up counts its extra instances (nodegroups.ts, updateSurge) from
 * its start to its end.
 */
export const QUOTA_CODE = 'L-1216C47A';
export const SERVICE_CODE = 'ec2';
export const QUOTA_NAME = 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances';
export const VCPUS_PER_INSTANCE = 2;
/** AWS's default value of L-1216C47A for a new account (Service Quotas GetAWSDefaultServiceQuota). */
export const AWS_DEFAULT_VCPU_QUOTA = 5;

export const vcpuLimitMessage = (quota: number): string =>
  `You have requested more vCPU capacity than your current vCPU limit of ${quota} allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.`;

/**
 * Extra instances a refresh runs beside the group (launched before old ones go): MaxHealthyPercentage above 100. User
 * Guide, "Instance maintenance policies": with a launch-before-terminate range Auto Scaling replaces at least one
 * instance at a time, so a group too small for the range to hold a whole instance still runs one extra (the stricter
 * reading of a fractional instance).
 */
export function surgeExtra(n: number, prefs: Record<string, unknown>, toReplace: number): number {
  const max = typeof prefs.MaxHealthyPercentage === 'number' ? prefs.MaxHealthyPercentage : 100;
  const min = typeof prefs.MinHealthyPercentage === 'number' ? prefs.MinHealthyPercentage : 90;
  if (max <= 100 || toReplace <= 0) return 0;
  const outOfService = n - Math.ceil((n * min) / 100);
  const extra = Math.max(Math.floor((n * (max - 100)) / 100), outOfService > 0 ? 0 : 1);
  return Math.min(toReplace, extra);
}

/** When a refresh stops holding its extra instances (its last batch, its failure, its cancellation). */
function heldUntil(r: RefreshRec): number {
  if (r.cancelRequestedAt !== undefined) return r.cancelRequestedAt;
  if (r.failure) return r.failure.at ?? (r.batchEnds[r.failure.afterBatches - 1] ?? r.pendingEnd);
  return r.batchEnds.at(-1) ?? r.pendingEnd;
}

/**
 * vCPUs the account runs at `now`: every group's instances (a refresh keeps the group's capacity), the extra instances
 * of surge refreshes and of managed node group updates still running, Image Builder builds and Fast Launch's temporary
 * instances still running. Stricter than AWS: a surge refresh holds its extra instances from its start to its end, not
 * only while its batches launch.
 */
export function vcpuUsage(ctx: Ctx, now = ctx.now()): number {
  let vcpus = (ctx.state.vcpuBase ??= fleetVcpus(ctx)) + (ctx.state.otherVcpus ?? 0);
  for (const r of ctx.state.refreshes)
    if ((r.surgeExtra ?? 0) > 0 && r.start <= now && now < heldUntil(r)) vcpus += (r.surgeExtra ?? 0) * vcpusOfVersion(ctx, r.desired.ltId, r.desired.versionNumber);
  vcpus += nodegroupSurgeVcpus(ctx, now);
  for (const img of Object.values(ctx.state.images)) if (img.createdAt <= now && now < buildEndsAt(ctx, img, now)) vcpus += VCPUS_PER_INSTANCE;
  // Fast Launch's temporary instances (the initial set and each replenishment) while they run (fastlaunch.ts).
  vcpus += temporaryInstanceVcpus(ctx, now);
  return vcpus;
}

/**
 * The groups' instances as seeded, counted once: a refresh keeps its group's capacity and the sim models no scaling.
 * NOTE knowingly simplified: a replacement of another instance type than the one it replaces is counted at the old type
 * (only its surge extra instances count the new type).
 */
function fleetVcpus(ctx: Ctx): number {
  let vcpus = 0;
  for (const asg of Object.values(ctx.state.asgs)) for (const i of asg.instances) vcpus += vcpusOfVersion(ctx, i.ltId, i.versionNumber);
  return vcpus;
}

/** vCPUs of one instance launched from a launch template version (see above). */
export function vcpusOfVersion(ctx: Ctx, ltId: string, versionNumber: number): number {
  const type = ctx.state.launchTemplates[ltId]?.versions.find((v) => v.versionNumber === versionNumber)?.data.InstanceType;
  return vcpusOfType(typeof type === 'string' ? type : undefined) ?? VCPUS_PER_INSTANCE;
}

/** vCPUs of an instance type from its size (see above); undefined for a size that gives none. */
export function vcpusOfType(type: string | undefined): number | undefined {
  const m = /^([a-z][a-z0-9-]*)\.(medium|large|xlarge|(\d+)xlarge)$/.exec(type ?? '');
  if (!m) return undefined;
  if (m[2] === 'medium') return m[1]?.startsWith('t') ? 2 : 1;
  if (m[2] === 'large') return 2;
  return 4 * Number(m[3] ?? 1);
}

/**
 * A surge refresh whose extra instances do not fit in the quota: Auto Scaling's launches fail with VcpuLimitExceeded.
 * StartInstanceRefresh API Reference: "An instance refresh might fail for several reasons, such as EC2 launch failures";
 * AWS does not say how many failed launches it retries, so (stricter reading) the refresh fails at its first batch.
 */
export function vcpuFailure(ctx: Ctx, extra: number, extraVcpus: number): { atPercent: number; reason: string } | undefined {
  const quota = ctx.state.vcpuQuota;
  if (quota === undefined || extra <= 0) return undefined;
  if (vcpuUsage(ctx) + extra * extraVcpus <= quota) return undefined;
  return { atPercent: 0, reason: `VcpuLimitExceeded: ${vcpuLimitMessage(quota)} Launching EC2 instance failed.` };
}

/**
 * Service Quotas API Reference, GetServiceQuota / GetAWSDefaultServiceQuota: ServiceCode and QuotaCode are required
 * (missing: ValidationException); an unknown service or quota is NoSuchResourceException; Value is a double, Unit
 * "None" for vCPU quotas, Adjustable true. A caller without servicequotas:GetServiceQuota gets AccessDeniedException
 * (fault `quotaAccessDenied` in the scenario's quotas).
 */
export function serviceQuotasHandlers(ctx: Ctx): Handlers {
  const quota = (input: Input, value: number) => {
    const service = input.ServiceCode;
    const code = input.QuotaCode;
    if (typeof service !== 'string' || typeof code !== 'string') throw awsError('ValidationException', '1 validation error detected: ServiceCode and QuotaCode must not be null');
    if (service !== SERVICE_CODE || code !== QUOTA_CODE) throw awsError('NoSuchResourceException', `The request failed because the specified service quota ${service}/${code} does not exist.`);
    return {
      Quota: {
        ServiceCode: SERVICE_CODE, ServiceName: 'Amazon Elastic Compute Cloud (Amazon EC2)', QuotaCode: QUOTA_CODE, QuotaName: QUOTA_NAME,
        QuotaArn: `arn:aws:servicequotas:${ctx.region}:${ctx.accountId}:${SERVICE_CODE}/${QUOTA_CODE}`,
        Value: value, Unit: 'None', Adjustable: true, GlobalQuota: false,
      },
    };
  };
  return {
    GetServiceQuota(input: Input) {
      if (ctx.state.vcpuQuotaDenied === true) throw awsError('AccessDeniedException', 'You do not have sufficient access to perform this action.');
      return quota(input, ctx.state.vcpuQuota ?? AWS_DEFAULT_VCPU_QUOTA);
    },
    GetAWSDefaultServiceQuota(input: Input) {
      if (ctx.state.vcpuQuotaDenied === true) throw awsError('AccessDeniedException', 'You do not have sufficient access to perform this action.');
      return quota(input, AWS_DEFAULT_VCPU_QUOTA);
    },
  };
}
