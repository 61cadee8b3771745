import {
  CompleteLifecycleActionCommand,
  CreateOrUpdateTagsCommand,
  RecordLifecycleActionHeartbeatCommand,
  RollbackInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import { autoScaling } from '../aws/auto-scaling.js';
import { withRetries } from '../aws/retry.js';
import { logger } from '../logger.js';
import { latestRefresh } from '../rollout/standing.js';
import { encodeVerdict, verdictTagKey } from './metadata.js';

/**
 * What a lifecycle action does to its group: complete it, keep it alive, roll our refresh back, leave a verdict.
 * (Apart from hooks.ts, which the rollout uses: a bundle carries only the Auto Scaling commands it calls.)
 */

/**
 * A rollback that cannot happen: the refresh already ended (ActiveInstanceRefreshNotFound), or the group cannot roll
 * back at all (IrreversibleInstanceRefresh: $Latest/$Default or an SSM ImageId, allowed with rollout.allowUnpinnedVersions).
 * Either way the lifecycle action must still be completed.
 */
export const rollbackImpossible = (error: unknown): boolean =>
  error instanceof Error && (error.name.startsWith('ActiveInstanceRefreshNotFound') || error.name.startsWith('IrreversibleInstanceRefresh'));

export interface OwnRefresh {
  id: string;
  status: string;
}

/** Only these can be rolled back (RollbackInstanceRefresh: ActiveInstanceRefreshNotFound otherwise). */
const ROLLABLE = new Set(['Pending', 'InProgress', 'Baking']);

/** The group's running refresh if it is ours (its desired launch template version is the one we made), else undefined. */
export async function ownActiveRefresh(asgName: string, lt: string): Promise<OwnRefresh | undefined> {
  const r = await latestRefresh(asgName);
  return r?.id && ROLLABLE.has(r.status) && r.desired === lt ? { id: r.id, status: r.status } : undefined;
}

/**
 * Rolls our refresh back (RollbackInstanceRefresh): Auto Scaling replaces what it already replaced with the group's
 * previous version. Needed because an abandoned launch only makes Auto Scaling launch another instance: nothing in the
 * Auto Scaling documentation says the refresh fails by itself, so waiting for AutoRollback could wait for ever.
 */
export async function rollBack(asgName: string, refreshId: string): Promise<void> {
  await withRetries(() => autoScaling.send(new RollbackInstanceRefreshCommand({ AutoScalingGroupName: asgName })), { operation: 'RollbackInstanceRefresh' });
  logger.warn(`instance refresh ${refreshId} rolled back`, { asgName });
}

/** Leaves the verdict where the wave check reads the group (DescribeAutoScalingGroups returns the tags). */
export async function recordVerdict(asgName: string, stage: string, refreshId: string, text: string): Promise<void> {
  await withRetries(() =>
    autoScaling.send(
      new CreateOrUpdateTagsCommand({
        Tags: [{ ResourceId: asgName, ResourceType: 'auto-scaling-group', Key: verdictTagKey(stage), Value: encodeVerdict(refreshId, text), PropagateAtLaunch: false }],
      }),
    ),
  { operation: 'CreateOrUpdateTags' });
}

/** CompleteLifecycleAction / RecordLifecycleActionHeartbeat on an action that ended: ValidationError "No active Lifecycle Action found…". */
const actionIsOver = (error: unknown): boolean => error instanceof Error && error.name === 'ValidationError' && /No active Lifecycle Action/i.test(error.message);

export interface LifecycleAction {
  AutoScalingGroupName: string;
  LifecycleHookName: string;
  LifecycleActionToken: string;
  EC2InstanceId: string;
}

/**
 * Ends the action. A second completion (a duplicate EventBridge delivery, a retried step) gets ValidationError "No
 * active Lifecycle Action found": the action is already over, which is what the caller wanted.
 */
export async function completeAction(a: LifecycleAction, result: 'CONTINUE' | 'ABANDON'): Promise<void> {
  try {
    await withRetries(() =>
      autoScaling.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: a.AutoScalingGroupName,
          LifecycleHookName: a.LifecycleHookName,
          LifecycleActionToken: a.LifecycleActionToken,
          LifecycleActionResult: result,
        }),
      ),
    { operation: 'CompleteLifecycleAction' });
  } catch (error) {
    if (!actionIsOver(error)) throw error;
    logger.warn(`lifecycle action for ${a.EC2InstanceId} was already over`, { asgName: a.AutoScalingGroupName });
  }
}

/** Extends the action's wait; false when the action is over (completed elsewhere, timed out, or its hook was deleted). */
export async function heartbeat(a: LifecycleAction): Promise<boolean> {
  try {
    await withRetries(() =>
      autoScaling.send(
        new RecordLifecycleActionHeartbeatCommand({
          AutoScalingGroupName: a.AutoScalingGroupName,
          LifecycleHookName: a.LifecycleHookName,
          LifecycleActionToken: a.LifecycleActionToken,
        }),
      ),
    { operation: 'RecordLifecycleActionHeartbeat' });
    return true;
  } catch (error) {
    if (actionIsOver(error)) return false;
    throw error;
  }
}
