import { describe, expect, it } from 'vitest';
import { fitSurgeToQuota, vcpusOf } from '../../lib/plan/quota.js';

describe('fitSurgeToQuota', () => {
  it('keeps the budget when it fits the headroom', () => {
    expect(fitSurgeToQuota(20, { value: 1000 }, 200, 2)).toEqual({ maxExtraInstances: 20 });
  });
  it('reduces the budget to the headroom and names quota, value, usage, reduction and fix', () => {
    const fit = fitSurgeToQuota(20, { value: 64 }, 40, 4);
    expect(fit.maxExtraInstances).toBe(6);
    expect(fit.warning).toContain('ec2/L-1216C47A is 64 vCPUs');
    expect(fit.warning).toContain('use 40:');
    expect(fit.warning).toContain('reduced from 20 to 6');
    expect(fit.warning).toContain('request an increase in Service Quotas, or lower rollout.surge.maxExtraInstances');
  });
  it('allows no surge when the account is at or over its quota', () => {
    expect(fitSurgeToQuota(20, { value: 40 }, 44, 2).maxExtraInstances).toBe(0);
  });
  it('allows no surge when the quota cannot be read or the instance size is unknown', () => {
    const denied = fitSurgeToQuota(20, { error: 'AccessDeniedException' }, 40, 2);
    expect(denied.maxExtraInstances).toBe(0);
    expect(denied.warning).toContain('AccessDeniedException');
    expect(fitSurgeToQuota(20, { value: 1000 }, 40, undefined).maxExtraInstances).toBe(0);
  });
});

describe('vcpusOf', () => {
  it('reads the vCPUs from the size', () => {
    expect(vcpusOf('m5.large')).toBe(2);
    expect(vcpusOf('m5.xlarge')).toBe(4);
    expect(vcpusOf('c6i.4xlarge')).toBe(16);
    expect(vcpusOf('t3.medium')).toBe(2);
    expect(vcpusOf('m5.metal')).toBeUndefined();
    expect(vcpusOf(undefined)).toBeUndefined();
  });
});
