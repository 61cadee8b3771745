import { ModifyLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { ec2 } from '../aws/ec2.js';
import { withRetries } from '../aws/retry.js';
import { logger } from '../logger.js';
import { mapLimit } from '../util.js';
import type { GroupProgress, WaveProgress } from './refresh.js';

export interface DefaultVersion {
  launchTemplateId: string;
  version: string;
}

/**
 * The default versions to set after a poll (rollout.setDefaultVersion): only for groups
 * whose refresh has just turned Successful. Any ASG on $Default of the template (a later
 * wave, an unmanaged group) launches the default at once, and a rolled-back refresh
 * would leave the default on the new AMI, so it never moves before the refresh succeeds.
 * One call per launch template, to the highest new version, and never back below a
 * version an earlier poll of this wave already made the default.
 */
export function defaultsToSet(before: readonly GroupProgress[], after: readonly GroupProgress[]): DefaultVersion[] {
  const wasPatched = new Set(before.filter((g) => g.state === 'patched').map((g) => g.asgName));
  const highest = (groups: readonly GroupProgress[], lt: string) =>
    Math.max(0, ...groups.filter((g) => g.launchTemplateId === lt && g.toVersion !== null).map((g) => Number(g.toVersion)));
  const fresh = after.filter((g) => g.state === 'patched' && g.toVersion !== null && !wasPatched.has(g.asgName));
  const earlier = before.filter((g) => g.state === 'patched');
  return [...new Set(fresh.map((g) => g.launchTemplateId))]
    .map((lt) => ({ launchTemplateId: lt, version: highest(fresh, lt) }))
    .filter((d) => d.version > highest(earlier, d.launchTemplateId))
    .map((d) => ({ launchTemplateId: d.launchTemplateId, version: String(d.version) }));
}

/**
 * Sets them. A refusal does not fail the step (the wave's other refreshes would run on
 * unwatched): it is written on the group, so the wave notice and the summary show it.
 */
export async function setDefaultVersions(before: WaveProgress, after: WaveProgress): Promise<WaveProgress> {
  const failed = new Map<string, string>();
  await mapLimit(defaultsToSet(before.groups, after.groups), 8, async (d) => {
    try {
      await withRetries(() => ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: d.launchTemplateId, DefaultVersion: d.version })));
      logger.info(`launch template ${d.launchTemplateId}: default version is now ${d.version}`);
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      logger.warn(`launch template ${d.launchTemplateId}: default version not set`, { error: message });
      failed.set(d.launchTemplateId, `could not make version ${d.version} the default of ${d.launchTemplateId} (${message})`);
    }
  });
  if (!failed.size) return after;
  return { ...after, groups: after.groups.map((g) => (g.state === 'patched' && failed.has(g.launchTemplateId) ? { ...g, reason: failed.get(g.launchTemplateId) ?? null } : g)) };
}
