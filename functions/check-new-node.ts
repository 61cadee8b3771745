import type { LifecycleTaskInput } from '../lib/lifecycle/event.js';
import { checkNewNode } from '../lib/lifecycle/gate-action.js';
import { decodeMetadata } from '../lib/lifecycle/metadata.js';
import { kubernetesFor } from '../lib/kubernetes/connect.js';
import { logFor, logger } from '../lib/logger.js';
import { lifecycleNotice } from '../lib/notify/lifecycle.js';
import { loadConfig } from '../lib/pipeline-config.js';
import { settings } from '../lib/settings.js';

/** One look at a launching instance's Node: continue, abandon (and roll our refresh back), or look again later. */
export const handler = async (event: LifecycleTaskInput) => {
  const variant = decodeMetadata(event.action.NotificationMetadata)?.variant ?? 'unknown';
  logFor({ executionId: event.executionName, variant });
  logger.appendKeys({ asgName: event.action.AutoScalingGroupName, instanceId: event.action.EC2InstanceId });
  const { stage } = settings('stage');
  const step = await checkNewNode({ time: event.time, detail: event.action }, { stage, readinessTimeoutMinutes: loadConfig().kubernetes.readinessTimeoutMinutes, kubernetes: kubernetesFor });
  return { ...step, notice: step.decision === 'abandon' ? lifecycleNotice('abandon', event.action.AutoScalingGroupName, variant, step.reason) : null };
};
