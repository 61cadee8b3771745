import { describe, expect, it } from 'vitest';
import { RolloutSchema } from '../../lib/config.js';
import { extraInstances, fitRolloutToQuota, fitSurgeToQuota, nodegroupSurge, reservedVcpus, vcpusOf } from '../../lib/plan/quota.js';

describe('fitSurgeToQuota', () => {
  it('keeps the budget when it fits the headroom', () => {
    expect(fitSurgeToQuota(20, { value: 1000 }, 200, 2)).toEqual({ maxExtraInstances: 20 });
  });
  it('reduces the budget to the headroom and names quota, value, usage, reduction and fix', () => {
    const fit = fitSurgeToQuota(20, { value: 64 }, 40, 4);
    expect(fit.maxExtraInstances).toBe(6);
    expect(fit.warning).toContain('ec2/L-1216C47A is 64 vCPUs');
    expect(fit.warning).toContain('the account uses 40 (');
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

describe('extraInstances (launched before the old ones go)', () => {
  it('is the batch beyond what MinHealthyPercentage lets go, at least one when MaxHealthyPercentage lets it launch first', () => {
    expect(extraInstances(4, { minHealthyPercentage: 100, maxHealthyPercentage: 110 })).toBe(1);
    expect(extraInstances(40, { minHealthyPercentage: 100, maxHealthyPercentage: 110 })).toBe(4);
    expect(extraInstances(20, { minHealthyPercentage: 90, maxHealthyPercentage: 200 })).toBe(20);
    expect(extraInstances(20, { minHealthyPercentage: 90, maxHealthyPercentage: 100 })).toBe(0);
    expect(extraInstances(4, { minHealthyPercentage: 90, maxHealthyPercentage: 100 })).toBe(0);
  });
});

describe('fitRolloutToQuota', () => {
  const rollout = RolloutSchema.parse({});
  const groups = Array.from({ length: 10 }, () => ({ instances: 4, vcpus: 4 }));
  it('keeps the rollout when the groups refreshing at once fit the headroom', () => {
    expect(fitRolloutToQuota(rollout, groups, [1], { value: 200 }, { vcpus: 100 })).toEqual({ rollout, warnings: [] });
  });
  it('refreshes fewer groups at once when their extra instances do not fit, naming the quota and the fix', () => {
    const fit = fitRolloutToQuota(rollout, groups, [1], { value: 120 }, { vcpus: 100 });
    expect(fit.rollout.maxConcurrentGroups).toBe(5);
    expect(fit.warnings[0]).toContain('ec2/L-1216C47A is 120 vCPUs and the account uses 100: maxConcurrentGroups reduced to 5');
    expect(fit.warnings[0]).toContain('rollout.maxHealthyPercentage: 100');
  });
  it('halves fixed waves per variant the same way', () => {
    const fixed = RolloutSchema.parse({ waveSize: 10 });
    expect(fitRolloutToQuota(fixed, groups, [1, 1], { value: 120 }, { vcpus: 100 }).rollout.waveSize).toBe(2);
  });
  it('refuses the run when the largest group alone does not fit', () => {
    const fit = fitRolloutToQuota(rollout, [{ instances: 40, vcpus: 4 }], [1], { value: 110 }, { vcpus: 100 });
    expect(fit.problem).toContain('the 1 group(s) that must refresh at once');
    expect(fit.problem).toContain('need more than the 10 vCPUs left');
  });
  it('refuses the run when each variant refreshing one group at once does not fit (a share is never below one)', () => {
    const three = Array.from({ length: 3 }, () => ({ instances: 10, vcpus: 4 }));
    expect(fitRolloutToQuota(rollout, three, [0, 0, 0], { value: 104 }, { vcpus: 100 }).problem).toContain('the 3 group(s) that must refresh at once');
  });
  it("counts each variant's canary wave whole", () => {
    // 4 canaries of one variant refresh together: 16 vCPUs, only 12 left.
    expect(fitRolloutToQuota(rollout, groups, [4], { value: 112 }, { vcpus: 100 }).problem).toContain('the 4 group(s)');
  });
  it("keeps the run's image builds and Fast Launch out of the headroom", () => {
    expect(fitRolloutToQuota(rollout, groups, [1], { value: 200 }, { vcpus: 100 }, 80).rollout.maxConcurrentGroups).toBe(5);
  });
  it('adds nothing with MaxHealthyPercentage 100 (terminate first), however tight the quota', () => {
    const first = RolloutSchema.parse({ minHealthyPercentage: 90, maxHealthyPercentage: 100 });
    expect(fitRolloutToQuota(first, groups, [1], { value: 100 }, { vcpus: 100 })).toEqual({ rollout: first, warnings: [] });
  });
  it('fits the surge into what the refreshes leave', () => {
    const surging = RolloutSchema.parse({ surge: { maxExtraInstances: 20 } });
    const fit = fitRolloutToQuota(surging, groups, [1], { value: 160 }, { vcpus: 100 });
    // 10 groups x 1 extra x 4 vCPUs held: 20 vCPUs left, 5 surge instances.
    expect(fit.rollout.surge?.maxExtraInstances).toBe(5);
    // Two variants share the budget evenly: 4, not 5 (one each would round up past the headroom).
    expect(fitRolloutToQuota(surging, groups, [1, 1], { value: 160 }, { vcpus: 100 }).rollout.surge?.maxExtraInstances).toBe(4);
  });
  it('takes an even share of the headroom beside other active runs', () => {
    const surging = RolloutSchema.parse({ surge: { maxExtraInstances: 20 } });
    // 100 vCPUs of headroom, one other run: 50 for this one; 10 groups' extras hold 40, 10 left: 2 surge instances.
    const fit = fitRolloutToQuota(surging, groups, [1], { value: 200 }, { vcpus: 100 }, 0, 1);
    expect(fit.rollout.surge?.maxExtraInstances).toBe(2);
    expect(fitRolloutToQuota(rollout, groups, [1], { value: 160 }, { vcpus: 100 }, 0, 1).warnings[0]).toContain('maxConcurrentGroups reduced to 7 so that the groups refreshing at once fit their extra instances (MaxHealthyPercentage 110) in this run\'s share of the headroom beside 1 other active run(s)');
  });
  it('warns when the quota or the usage cannot be read, surge or not', () => {
    const fit = fitRolloutToQuota(rollout, groups, [1], { value: 160 }, { error: 'UnauthorizedOperation' });
    expect(fit.warnings[0]).toContain('ec2:DescribeInstances: UnauthorizedOperation');
  });
  it('counts a managed node group update at its scale-up (2 x AZs), not at rollout.maxHealthyPercentage', () => {
    // Each managed group: 6 extra 4-vCPU instances (3 AZs) = 24 vCPUs; 50 vCPUs left fit 2 at once.
    const managed = Array.from({ length: 6 }, () => ({ instances: 2, vcpus: 4, managedSurge: nodegroupSurge(2, 3, { maxUnavailable: 1 }) }));
    const fit = fitRolloutToQuota(rollout, managed, [1], { value: 150 }, { vcpus: 100 });
    expect(fit.rollout.maxConcurrentGroups).toBe(2);
    expect(fit.warnings[0]).toContain("fit their extra instances (managed node group updates' scale-up); request an increase of ec2/L-1216C47A in Service Quotas, or give the managed node groups a smaller updateConfig maxUnavailable / maxUnavailablePercentage");
    // Only managed node group updates do not fit: terminate-first refreshes are no way out.
    expect(fit.warnings[0]).not.toContain('maxHealthyPercentage: 100');
    // Terminate-first refreshes add nothing, but the managed node groups still scale up first.
    const first = RolloutSchema.parse({ minHealthyPercentage: 90, maxHealthyPercentage: 100 });
    expect(fitRolloutToQuota(first, managed, [1], { value: 150 }, { vcpus: 100 }).rollout.maxConcurrentGroups).toBe(2);
  });
  it('refuses the run when one managed node group update alone does not fit, with the self-managed groups beside it', () => {
    const mixed = [...groups, { instances: 2, vcpus: 4, managedSurge: 4 }];
    // 15 vCPUs left: one self-managed group's 4 fit, the managed group's 16 do not.
    const fit = fitRolloutToQuota(rollout, mixed, [1], { value: 115 }, { vcpus: 100 });
    expect(fit.problem).toContain('need more than the 15 vCPUs left');
    expect(fit.problem).toContain('a managed node group update first scales up by max(2 x its Availability Zones, its updateConfig maxUnavailable / maxUnavailablePercentage) nodes');
  });
  it('refuses a managed node group update that does not fit without blaming MaxHealthyPercentage, and gives only fixes that exist', () => {
    // The repro: terminate-first refreshes, one 3-node managed group in 2 AZs (scale-up 4 x 4 vCPUs = 16), 10 vCPUs left.
    const first = RolloutSchema.parse({ minHealthyPercentage: 90, maxHealthyPercentage: 100 });
    const fit = fitRolloutToQuota(first, [{ instances: 3, vcpus: 4, managedSurge: nodegroupSurge(3, 2, { maxUnavailable: 1 }) }], [1], { value: 100 }, { vcpus: 90 });
    expect(fit.problem).toBe(
      "rollout: the On-Demand vCPU quota ec2/L-1216C47A is 100 vCPUs and the account uses 90: a managed node group update first scales up by max(2 x its Availability Zones, its updateConfig maxUnavailable / maxUnavailablePercentage) nodes, whatever rollout says, and the 1 group(s) that must refresh at once (each variant's canaries, or one group) need more than the 10 vCPUs left; request an increase of ec2/L-1216C47A in Service Quotas, or give the managed node groups a smaller updateConfig maxUnavailable / maxUnavailablePercentage (the scale-up is never below 2 x the group's Availability Zones)",
    );
  });
  it('suggests terminate-first when self-managed launch-first refreshes are among what does not fit', () => {
    const mixed = [{ instances: 40, vcpus: 4 }, { instances: 2, vcpus: 4, managedSurge: 4 }];
    // Both must refresh at once (two canaries): 16 + 16 vCPUs, 20 left.
    const problem = fitRolloutToQuota(rollout, mixed, [2], { value: 120 }, { vcpus: 100 }).problem ?? '';
    expect(problem).toContain('a refresh launches before it terminates (MaxHealthyPercentage 110) and a managed node group update first scales up');
    expect(problem).toContain('rollout.maxHealthyPercentage: 100 with minHealthyPercentage 90 or less');
    expect(problem).toContain('or fewer of them at once (fewer canary groups per variant, or fewer variants per run: input.variants)');
  });
  it('says when a group whose instance size could not be read was counted at 96 vCPUs', () => {
    // A managed node group on InstanceRequirements: 4 x 96 vCPUs of scale-up, far over the 50 left.
    const unknown = [{ instances: 2, vcpus: undefined, managedSurge: 4, name: 'prod/win-flex' }];
    const problem = fitRolloutToQuota(rollout, unknown, [1], { value: 150 }, { vcpus: 100 }).problem ?? '';
    expect(problem).toContain('need more than the 50 vCPUs left; the instance size of prod/win-flex could not be read (InstanceRequirements, or a size with no known vCPU count) and was counted at 96 vCPUs per instance;');
    // A known size that does not fit says nothing of it.
    expect(fitRolloutToQuota(rollout, [{ instances: 2, vcpus: 16, managedSurge: 4, name: 'prod/win' }], [1], { value: 150 }, { vcpus: 100 }).problem).not.toContain('could not be read');
  });
  it('leaves the surge budget to the self-managed groups: a managed group of larger instances does not shrink it', () => {
    const surging = RolloutSchema.parse({ surge: { maxExtraInstances: 20 } });
    const mixed = [...groups, { instances: 1, vcpus: 16, managedSurge: 4 }];
    const fit = fitRolloutToQuota(surging, mixed, [1], { value: 400 }, { vcpus: 100 });
    // Held: 10 x 4 + 4 x 16 = 104 of 300 headroom; 196 left in the surging groups' 4-vCPU instances: 49 >= 20 (at 16 each: 12).
    expect(fit.rollout.surge?.maxExtraInstances).toBe(20);
  });
});

describe('nodegroupSurge', () => {
  it('is the larger of 2 x the ASG Availability Zones and maxUnavailable', () => {
    expect(nodegroupSurge(3, 2, { maxUnavailable: 1 })).toBe(4);
    expect(nodegroupSurge(30, 3, { maxUnavailable: 10 })).toBe(10);
    // The documented example: 5 AZs and maxUnavailable 1 launch up to 10; maxUnavailable 20 launches 20.
    expect(nodegroupSurge(40, 5, { maxUnavailable: 1 })).toBe(10);
    expect(nodegroupSurge(40, 5, { maxUnavailable: 20 })).toBe(20);
  });
  it('takes maxUnavailablePercentage of the group rounded up, one node by default, at most 100', () => {
    expect(nodegroupSurge(25, 1, { maxUnavailablePercentage: 10 })).toBe(3);
    expect(nodegroupSurge(1, 1, undefined)).toBe(2);
    expect(nodegroupSurge(500, 2, { maxUnavailable: 200 })).toBe(100);
  });
  it('is the whole 2 x AZs even for a one-node group, and nothing for an empty one', () => {
    expect(nodegroupSurge(1, 3, { maxUnavailable: 1 })).toBe(6);
    expect(nodegroupSurge(0, 3, { maxUnavailable: 1 })).toBe(0);
  });
});

describe('reservedVcpus', () => {
  it("holds the build and, for the new AMI and last month's, MaxParallelLaunches temporary instances of the Fast Launch template type", () => {
    // m6i.xlarge (4) first, c6i.2xlarge (8) the largest: the build 8, Fast Launch 2 AMIs x 6 x 4 = 48.
    expect(reservedVcpus(['m6i.xlarge', 'c6i.2xlarge'], 6, { build: true, fastLaunch: true })).toBe(8 + 48);
    expect(reservedVcpus(['m6i.xlarge'], 10, { build: false, fastLaunch: true })).toBe(80);
    expect(reservedVcpus(['m6i.xlarge'], 6, { build: true, fastLaunch: false })).toBe(4);
  });
});
