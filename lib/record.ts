import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { ssm } from './aws/ssm.js';
import { withRetries } from './aws/retry.js';
import { lastBuildParameter } from './parameters.js';

/** Remembers the source AMI of a successful run; detect-release compares AWS's parameter with it. Written only on success. */
export async function recordSuccessfulSource(parameterPrefix: string, variantId: string, sourceAmi: string): Promise<void> {
  await withRetries(() =>
    ssm.send(new PutParameterCommand({ Name: lastBuildParameter(parameterPrefix, variantId), Value: sourceAmi, Type: 'String', Overwrite: true })),
  );
}

/**
 * Whether a variant's release counts as rolled out, so detect-release stops offering it:
 * only when the run built it and, if the rollout stage ran, at least one node group now
 * runs it (patched by this run or already current). A variant that patched no group (all
 * skipped, or none selected) records nothing, and the release is offered again.
 */
export function releaseRolledOut(stages: { build: boolean; rollout: boolean }, outcome: { patched: string[]; current: string[] }, karpenterOnly = false): boolean {
  if (!stages.build) return false;
  // A variant with no node groups in config (Karpenter only) is rolled out when its AMI parameter moved.
  return !stages.rollout || karpenterOnly || outcome.patched.length + outcome.current.length > 0;
}
