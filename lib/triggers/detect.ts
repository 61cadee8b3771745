import type { PipelineConfig } from '../config.js';
import { executionName } from '../names.js';
import { lastBuildParameter, readParameters, sourceParameter } from '../parameters.js';
import { startRun, type StartOutcome } from './start.js';

export interface Release {
  variantId: string;
  sourceAmi: string;
  lastBuilt: string | null;
}

/** A variant has a release when AWS's parameter names an AMI we have not built from. */
export function newReleases(config: PipelineConfig, values: Map<string, string>, prefix: string): Release[] {
  return config.variants.flatMap((v) => {
    const sourceAmi = values.get(sourceParameter(v));
    const lastBuilt = values.get(lastBuildParameter(prefix, v.id)) ?? null;
    return sourceAmi && sourceAmi !== lastBuilt ? [{ variantId: v.id, sourceAmi, lastBuilt }] : [];
  });
}

/** The run for one release: the same name every time the same AMI is seen. */
export const releaseRunName = (r: Release) => executionName('release', r.variantId, r.sourceAmi);

/**
 * Polls AWS's public parameters (EventBridge sends no change events for them) and
 * starts one run per new release. Safe to call any number of times.
 */
export async function detectReleases(config: PipelineConfig, prefix: string, stateMachineArn: string): Promise<(Release & StartOutcome)[]> {
  const values = await readParameters(config.variants.flatMap((v) => [sourceParameter(v), lastBuildParameter(prefix, v.id)]));
  const releases = newReleases(config, values, prefix);
  const outcomes: (Release & StartOutcome)[] = [];
  for (const r of releases) {
    const outcome = await startRun(stateMachineArn, releaseRunName(r), {
      trigger: 'release',
      variants: [r.variantId],
      reason: `AWS published ${r.sourceAmi} for ${r.variantId} (last built from ${r.lastBuilt ?? 'nothing yet'})`,
    });
    outcomes.push({ ...r, ...outcome });
  }
  return outcomes;
}
