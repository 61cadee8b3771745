import { NO_CANARY_RAN } from '../notify/cause.js';
import type { GroupProgress } from './refresh.js';

/**
 * The canary decides: a canary wave proves the new AMI on real nodes before any other
 * group gets it. A canary wave in which no canary group runs the AMI (every canary was
 * busy with someone else's refresh and skipped) proved nothing, so it stops the line.
 *
 * A canary that is `current` (its launch template version already names the AMI, e.g.
 * from an earlier run whose canary passed) counts as run: its nodes already serve on the
 * AMI, which is what the canary is there to show. `skipped` and `busy` never count.
 *
 * Returns the cause for the failure report, or null when a canary ran (or the wave has none).
 */
export function noCanaryRan(canaryNames: readonly string[], groups: readonly Pick<GroupProgress, 'asgName' | 'state'>[]): string | null {
  if (!canaryNames.length) return null;
  const canaries = groups.filter((g) => canaryNames.includes(g.asgName));
  if (canaries.some((g) => g.state === 'patched' || g.state === 'current')) return null;
  const how = canaries.map((g) => `${g.asgName} ${g.state}`).join(', ');
  return `${NO_CANARY_RAN}: none of the ${canaryNames.length} canary group(s) was patched (${how}), so the new AMI was not proven on any node and the other waves were not started`;
}
