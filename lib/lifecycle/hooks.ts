import { DeleteLifecycleHookCommand, PutLifecycleHookCommand } from '@aws-sdk/client-auto-scaling';
import { autoScaling } from '../aws/auto-scaling.js';
import { withRetries } from '../aws/retry.js';
import { logger } from '../logger.js';
import { encodeMetadata, hookNames, type HookMetadata } from './metadata.js';

/** Which of our hooks a group gets for its refresh. */
export interface HookPlan {
  gate: boolean;
  drain: boolean;
}

/** The drain's heartbeat: every drain pass records one, and a pass never waits longer than 60 s. */
export const DRAIN_HEARTBEAT_SECONDS = 300;
/** PutLifecycleHook: HeartbeatTimeout is 30 to 7,200 seconds. */
const MAX_HEARTBEAT_SECONDS = 7200;

/**
 * Puts our hooks on the group before its refresh starts (PutLifecycleHook creates or updates: a retried step is a no-op).
 * The launch hook's default result is ABANDON: an instance nobody vouched for never goes into service. Its heartbeat
 * outlasts the gate's own timeout by five minutes, so the gate decides, not the timeout. The terminate hook's default is
 * CONTINUE: if the drain itself is lost, the instance still terminates as it would have without us.
 */
export async function putHooks(asgName: string, stage: string, plan: HookPlan, metadata: HookMetadata, readinessTimeoutSeconds: number): Promise<void> {
  const names = hookNames(stage);
  const NotificationMetadata = encodeMetadata(metadata);
  if (plan.gate)
    await withRetries(() =>
      autoScaling.send(
        new PutLifecycleHookCommand({
          AutoScalingGroupName: asgName,
          LifecycleHookName: names.ready,
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          HeartbeatTimeout: Math.min(MAX_HEARTBEAT_SECONDS, readinessTimeoutSeconds + 300),
          DefaultResult: 'ABANDON',
          NotificationMetadata,
        }),
      ),
    { operation: 'PutLifecycleHook' });
  if (plan.drain)
    await withRetries(() =>
      autoScaling.send(
        new PutLifecycleHookCommand({
          AutoScalingGroupName: asgName,
          LifecycleHookName: names.drain,
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          HeartbeatTimeout: DRAIN_HEARTBEAT_SECONDS,
          DefaultResult: 'CONTINUE',
          NotificationMetadata,
        }),
      ),
    { operation: 'PutLifecycleHook' });
  logger.info(`lifecycle hooks put for the refresh: ${[plan.gate && names.ready, plan.drain && names.drain].filter(Boolean).join(', ')}`, { asgName });
}

/** Removes our hooks once the group's refresh has ended, whatever its outcome. A hook already gone is fine. */
export async function deleteHooks(asgName: string, stage: string, plan: HookPlan): Promise<void> {
  const names = hookNames(stage);
  for (const [on, name] of [[plan.gate, names.ready], [plan.drain, names.drain]] as const) {
    if (!on) continue;
    try {
      await withRetries(() => autoScaling.send(new DeleteLifecycleHookCommand({ AutoScalingGroupName: asgName, LifecycleHookName: name })), { operation: 'DeleteLifecycleHook' });
    } catch (error) {
      // DeleteLifecycleHook answers ValidationError for a hook that does not exist (a retried clean-up).
      if (!(error instanceof Error) || error.name !== 'ValidationError') throw error;
    }
  }
  logger.info('lifecycle hooks removed after the refresh', { asgName });
}
