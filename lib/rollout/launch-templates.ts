import type { GroupLoad } from './admission.js';
import type { ManagedNodeGroupRef, NodeGroupKubernetes } from '../plan/types.js';
import { nodegroupVersion } from './managed.js';
import type { MixedInstancesPolicy } from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateVersionCommand } from '@aws-sdk/client-ec2';
import { ec2 } from '../aws/ec2.js';
import { withRetries } from '../aws/retry.js';
import { LaunchTemplateError } from '../errors.js';
import { logger } from '../logger.js';
import { clientToken } from '../names.js';
import type { NodeGroupPlan } from '../plan/types.js';
import { mapLimit } from '../util.js';
import { isUnpinned } from './launch-template-in-use.js';
import { instancesNotOn, liveSpecs, type LiveSpec } from './standing.js';

/** A node group and the launch template version it moves to (null: already on the AMI). */
export interface WaveTarget {
  asgName: string;
  launchTemplateId: string;
  fromVersion: string;
  toVersion: string | null;
  /** The spec sits in a MixedInstancesPolicy: the refresh must name it there, or the policy would be replaced. */
  mixed?: boolean;
  /** The group's whole MixedInstancesPolicy as read before the wave: sent back whole, only the version changed. */
  mixedPolicy?: MixedInstancesPolicy;
  /** The group's cluster and whether our readiness gate and drain apply (from the plan). */
  kubernetes?: NodeGroupKubernetes;
  /** An EKS managed node group: rolled out with UpdateNodegroupVersion, not an instance refresh. */
  managed?: ManagedNodeGroupRef;
  /** rollout.surge: this group's MaxHealthyPercentage (from the plan). */
  maxHealthyPercentage?: number;
  /** The PercentageComplete that means its first batch is replaced, in a wave that hands over (from the plan). */
  firstBatchPercent?: number;
  /** In a wave that hands over by proof or is handed over to by proof: what it holds while it refreshes (from the plan). */
  load?: GroupLoad;
}

/**
 * New launch template versions for a whole wave, each created from exactly the version
 * the ASG runs (SourceVersion) with only ImageId changed. The ASG itself is not
 * touched: the instance refresh names the new version explicitly and moves the ASG
 * to it only when it succeeds, which is what makes AutoRollback possible.
 * Groups sharing a template and version share the new version (one ClientToken).
 * The ASGs are read again here: the plan is an hour or more old by now.
 * The template's default version is not moved here (rollout.setDefaultVersion does it
 * in checkWave once a group's refresh succeeded): ASGs on $Default would launch it now.
 */
export async function createWaveVersions(
  wave: NodeGroupPlan[],
  amiId: string,
  executionName: string,
): Promise<WaveTarget[]> {
  const live = await liveSpecs(wave.filter((g) => !g.managed).map((g) => g.asgName));
  // A managed node group's version is the node group's own (EKS keeps its ASG on a copy of the template).
  const sources = await mapLimit(wave, 8, async (g) => (g.managed ? nodegroupVersion(g.managed, g.launchTemplateId) : sourceVersion(g, live.get(g.asgName))));
  const pending = new Map<string, Promise<string>>();
  const versionFor = (g: NodeGroupPlan, source: string) => {
    const key = `${g.launchTemplateId}:${source}`;
    if (!pending.has(key)) pending.set(key, createVersion(g, source, amiId, executionName));
    return pending.get(key) as Promise<string>;
  };
  return mapLimit(wave, 8, async (g, i) => {
    const source = sources[i] as string;
    return {
      asgName: g.asgName,
      launchTemplateId: g.launchTemplateId,
      fromVersion: source,
      // Judged from the instances: a group whose template already has the AMI but whose instances do not (a refresh that
      // skipped protected or Standby instances) is refreshed again on the version it is on, not called current.
      toVersion: g.imageId !== amiId ? await versionFor(g, source) : !g.managed && instancesNotOn(live.get(g.asgName), g.launchTemplateId, source).length ? source : null,
      mixed: live.get(g.asgName)?.mixed ?? false,
      ...(live.get(g.asgName)?.mixedPolicy && { mixedPolicy: live.get(g.asgName)?.mixedPolicy }),
      ...(g.kubernetes && { kubernetes: g.kubernetes }),
      ...(g.managed && { managed: g.managed }),
      ...(g.maxHealthyPercentage !== undefined && { maxHealthyPercentage: g.maxHealthyPercentage }),
      ...(g.firstBatchPercent !== undefined && { firstBatchPercent: g.firstBatchPercent }),
      ...(g.load && { load: g.load }),
    };
  });
}

/** The version to build on: the number the ASG is pinned to now; the plan's resolved number for an (allowed) $Latest/$Default. */
function sourceVersion(g: NodeGroupPlan, now: LiveSpec | undefined): string {
  if (!now) throw new LaunchTemplateError(`ASG ${g.asgName} was not found any more (deleted since the plan?): nothing was changed for this wave`);
  if (now.launchTemplateId !== g.launchTemplateId)
    throw new LaunchTemplateError(`ASG ${g.asgName} now uses launch template ${now.launchTemplateId ?? now.launchTemplateName}, not ${g.launchTemplateId} as planned: start a new run`);
  const foreign = (now.mixedPolicy?.LaunchTemplate?.Overrides ?? []).find(
    (o) => o.LaunchTemplateSpecification && o.LaunchTemplateSpecification.LaunchTemplateId !== g.launchTemplateId,
  );
  // Refused rather than patched: an override with another template would keep launching that template's old AMI.
  if (foreign)
    throw new LaunchTemplateError(
      `ASG ${g.asgName}: its mixed instances override ${foreign.InstanceType ?? '?'} uses launch template ${foreign.LaunchTemplateSpecification?.LaunchTemplateId ?? foreign.LaunchTemplateSpecification?.LaunchTemplateName}, not the group's ${g.launchTemplateId}: point the override at the group's template (or drop its LaunchTemplateSpecification) and start a new run; nothing was changed for this wave`,
    );
  if (isUnpinned(now.version)) return g.version;
  if (now.version !== g.version) logger.warn(`ASG moved from launch template version ${g.version} to ${now.version} since the plan; building on ${now.version}`, { asgName: g.asgName });
  return now.version;
}

async function createVersion(g: NodeGroupPlan, source: string, amiId: string, executionName: string): Promise<string> {
  const out = await withRetries(() =>
    ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: g.launchTemplateId,
        SourceVersion: source,
        VersionDescription: `eks-windows-patch ${executionName}: ${amiId}`.slice(0, 255),
        LaunchTemplateData: { ImageId: amiId },
        ClientToken: clientToken('lt-version', executionName, g.launchTemplateId, source, amiId),
      }),
    ),
    { operation: 'CreateLaunchTemplateVersion' },
  );
  const version = String(out.LaunchTemplateVersion?.VersionNumber);
  logger.info(`launch template ${g.launchTemplateId} version ${version} created from ${source}`, { asgName: g.asgName, amiId });
  return version;
}
