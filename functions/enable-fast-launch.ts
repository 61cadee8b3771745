import { loadConfig } from '../lib/pipeline-config.js';
import { enableFastLaunch, type FastLaunchState } from '../lib/fastlaunch/enable.js';
import { logFor } from '../lib/logger.js';
import { settings } from '../lib/settings.js';

/** Starts pre-provisioning Fast Launch snapshots of the new AMI with the stack's dedicated launch template. */
export const handler = async (event: { amiId: string; executionName: string; variantId: string }): Promise<FastLaunchState> => {
  logFor({ executionId: event.executionName, variant: event.variantId });
  const { fastLaunchTemplateId } = settings('fastLaunchTemplateId');
  return enableFastLaunch(event.amiId, fastLaunchTemplateId, loadConfig().fastLaunch);
};
