import { arr, awsError, obj, str, type Ctx, type MixedPolicyRec } from './context.js';
import { findLt } from './ec2.js';

/**
 * InstancesDistribution defaults (Auto Scaling API reference, "InstancesDistribution"): what a parameter left out of a
 * MixedInstancesPolicy becomes.
 */
export const DEFAULT_DISTRIBUTION: Record<string, unknown> = {
  OnDemandAllocationStrategy: 'prioritized',
  OnDemandBaseCapacity: 0,
  OnDemandPercentageAboveBaseCapacity: 100,
  SpotAllocationStrategy: 'lowest-price',
  SpotInstancePools: 2,
};

/**
 * The policy a successful refresh leaves on the group (Auto Scaling user guide, "Understand the default values for an
 * instance refresh" / "Use an instance refresh with a desired configuration"): every MixedInstancesPolicy parameter the
 * DesiredConfiguration leaves out is reset to its default, Overrides to none. A DesiredConfiguration with only a
 * LaunchTemplate replaces the policy: the group is no longer mixed (null).
 */
export function desiredMixedPolicy(ctx: Ctx, desiredConfiguration: Record<string, unknown>): MixedPolicyRec | null {
  const mip = obj(desiredConfiguration.MixedInstancesPolicy);
  if (!mip) return null;
  const lt = obj(mip.LaunchTemplate) ?? {};
  const overrides = arr(lt.Overrides).map((o, n) => {
    const ov = obj(o) ?? {};
    const type = str(ov.InstanceType);
    // API Reference, "LaunchTemplateOverrides": an override has InstanceType or InstanceRequirements; the simulation
    // models InstanceType only and refuses the rest (stricter: InstanceRequirements is knowingly not modelled).
    if (!type) throw awsError('ValidationError', `MixedInstancesPolicy.LaunchTemplate.Overrides.member.${n + 1}.InstanceType is required by the simulation.`);
    const spec = obj(ov.LaunchTemplateSpecification);
    if (!spec) return { InstanceType: type };
    // An override's own template must exist, and its version too (StartInstanceRefresh validates the whole policy).
    const tpl = findLt(ctx, { id: spec.LaunchTemplateId, name: spec.LaunchTemplateName });
    const version = str(spec.Version) ?? '$Default';
    if (/^\d+$/.test(version) && !tpl.versions.some((v) => String(v.versionNumber) === version))
      throw awsError('ValidationError', `Launch template ${tpl.id} has no version ${version}.`);
    return { InstanceType: type, LaunchTemplateSpecification: { LaunchTemplateId: tpl.id, Version: version } };
  });
  return { overrides, distribution: { ...DEFAULT_DISTRIBUTION, ...(obj(mip.InstancesDistribution) ?? {}) } };
}

export function renderMixedPolicy(p: MixedPolicyRec, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    LaunchTemplate: { LaunchTemplateSpecification: spec, Overrides: structuredClone(p.overrides) },
    InstancesDistribution: structuredClone(p.distribution),
  };
}
