import { GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { serviceQuotas } from '../aws/service-quotas.js';
import { withRetries } from '../aws/retry.js';

/**
 * The On-Demand vCPU quota a surge spends: Service Quotas, ServiceCode ec2, QuotaCode L-1216C47A ("Running On-Demand
 * Standard (A, C, D, H, I, M, R, T, Z) instances"), counted in vCPUs over the account's running and pending On-Demand
 * instances of the Region (EC2 User Guide, "On-Demand Instance quotas"). A launch over it fails with VcpuLimitExceeded,
 * and Auto Scaling's instance refresh fails on EC2 launch failures (StartInstanceRefresh API Reference).
 *
 * Without surge (MaxHealthyPercentage 100) a refresh terminates before it launches (User Guide, "Instance maintenance
 * policies"), so the run's refreshes add no instance: only rollout.surge's extra instances need headroom.
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
    warning: `rollout.surge: the On-Demand vCPU quota ${code} is ${quota.value} vCPUs and the run's groups use ${usageVcpus}: maxExtraInstances reduced from ${budget} to ${fits} (${vcpusPerInstance} vCPUs each); ${fix}`,
  };
}
