import { drainOldNode, type DrainCarry } from '../lib/lifecycle/drain-action.js';
import type { LifecycleTaskInput } from '../lib/lifecycle/event.js';
import { decodeMetadata } from '../lib/lifecycle/metadata.js';
import { kubernetesFor } from '../lib/kubernetes/connect.js';
import { logFor, logger } from '../lib/logger.js';
import { lifecycleNotice } from '../lib/notify/lifecycle.js';
import { loadConfig } from '../lib/pipeline-config.js';
import { settings } from '../lib/settings.js';

/** One pass of draining a terminating instance's node through the Eviction API; CONTINUE once it is empty. */
export const handler = async (event: LifecycleTaskInput<DrainCarry>) => {
  const variant = decodeMetadata(event.action.NotificationMetadata)?.variant ?? 'unknown';
  logFor({ executionId: event.executionName, variant });
  logger.appendKeys({ asgName: event.action.AutoScalingGroupName, instanceId: event.action.EC2InstanceId });
  const { stage } = settings('stage');
  const { drain } = loadConfig().kubernetes;
  const step = await drainOldNode({ time: event.time, detail: event.action }, event.carry, { stage, timeoutMinutes: drain.timeoutMinutes, onTimeout: drain.onTimeout, kubernetes: kubernetesFor });
  return { ...step, notice: step.decision === 'timedOut' ? lifecycleNotice('timedOut', event.action.AutoScalingGroupName, variant, step.reason) : null };
};
