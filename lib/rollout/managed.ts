import type { Rollout } from '../config.js';
import { describeNodegroup, describeUpdate, updateNodegroupVersion } from '../aws/eks.js';
import { LaunchTemplateError } from '../errors.js';
import { logger } from '../logger.js';
import { clientToken } from '../names.js';
import type { ManagedNodeGroupRef } from '../plan/types.js';
import type { GroupProgress } from './refresh.js';

/**
 * EKS managed node groups own their ASG and its launch template version: refreshing the ASG behind EKS's back would
 * degrade the node group (Ec2LaunchTemplateVersionMismatch). Their path is UpdateNodegroupVersion with our launch
 * template version (EKS User Guide, "Update a managed node group"); EKS replaces and drains the nodes, honouring the
 * node group's updateConfig and PodDisruptionBudgets. One update at a time (ResourceInUseException); no rollback of
 * its own: with rollout.rollBackManagedNodeGroups the pipeline starts the update back to the previous version.
 */

/** The launch template version the node group runs now (the plan is an hour or more old by now). */
export async function nodegroupVersion(m: ManagedNodeGroupRef, launchTemplateId: string): Promise<string> {
  const ng = await describeNodegroup(m.cluster, m.nodegroup);
  const lt = ng.launchTemplate;
  if (!lt?.id || !lt.version)
    throw new LaunchTemplateError(`managed node group ${m.cluster}/${m.nodegroup} no longer has a launch template: start a new run`);
  if (lt.id !== launchTemplateId)
    throw new LaunchTemplateError(`managed node group ${m.cluster}/${m.nodegroup} now uses launch template ${lt.id}, not ${launchTemplateId} as planned: start a new run`);
  return lt.version;
}

const isInUse = (error: unknown) => error instanceof Error && error.name === 'ResourceInUseException';

/**
 * The update's idempotency token (UpdateNodegroupVersion clientRequestToken): a retry after a lost answer gets the same
 * update back instead of ResourceInUseException from our own update. The versions are this run's (new ones each run).
 */
const updateToken = (g: GroupProgress, m: ManagedNodeGroupRef, from: string, to: string) => clientToken('nodegroup-update', m.cluster, m.nodegroup, g.launchTemplateId, from, to);

/** Starts EKS's update of the node group to our version: the group is refreshing, busy (another update runs) or failed. */
export async function startNodegroupUpdate(g: GroupProgress, m: ManagedNodeGroupRef, rollout: Rollout): Promise<GroupProgress> {
  try {
    const update = await updateNodegroupVersion(m.cluster, m.nodegroup, { id: g.launchTemplateId, version: g.toVersion as string }, rollout.forceManagedNodeGroupUpdates, updateToken(g, m, g.fromVersion, g.toVersion as string));
    logger.info(`EKS update ${update.id} started: managed node group ${m.nodegroup} to launch template ${g.launchTemplateId} version ${g.toVersion}`, { asgName: g.asgName });
    return { ...g, state: 'refreshing', refreshId: update.id ?? null, status: update.status ?? 'InProgress', reason: null };
  } catch (error) {
    if (!isInUse(error)) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      logger.error('EKS update could not be started', { asgName: g.asgName, reason });
      return { ...g, state: 'failed', refreshId: null, status: 'not started', reason };
    }
    const busyAttempts = g.busyAttempts + 1;
    if (busyAttempts > rollout.busyRetries)
      return { ...g, state: 'skipped', busyAttempts, reason: `another update of managed node group ${m.nodegroup} was still running after ${busyAttempts} attempts; left on version ${g.fromVersion}` };
    return { ...g, busyAttempts, reason: `waiting for another update of managed node group ${m.nodegroup} to finish` };
  }
}

/** An update's status (InProgress while EKS gives none). */
export const updateStatus = async (m: ManagedNodeGroupRef, updateId: string): Promise<string> => statusOf(await describeUpdate(m.cluster, m.nodegroup, updateId));
const statusOf = (update: { status?: string }): string => update.status ?? 'InProgress';

/** One look at the update. Failed or Cancelled quotes EKS's errors and, by default, starts the update back. */
export async function pollNodegroupUpdate(g: GroupProgress, m: ManagedNodeGroupRef, rollout: Rollout): Promise<GroupProgress> {
  const update = await describeUpdate(m.cluster, m.nodegroup, g.refreshId as string);
  const status = statusOf(update);
  if (status === 'Successful') return { ...g, state: 'patched', status, percent: 100, reason: null };
  if (status !== 'Failed' && status !== 'Cancelled') return { ...g, status, reason: null };
  const errors = (update.errors ?? []).map((e) => `${e.errorCode ?? 'Error'}: ${e.errorMessage ?? ''}`.trim()).join('; ') || 'no error given';
  const reason = `EKS update ${status}: ${errors}`;
  logger.error(`EKS update ${g.refreshId} ${status}: ${errors}`, { asgName: g.asgName });
  // What happens next comes first: failure reports shorten reasons from the end.
  if (!rollout.rollBackManagedNodeGroups) return { ...g, state: 'failed', status, reason: `not updated back (rollout.rollBackManagedNodeGroups: false); ${reason}` };
  try {
    const back = await updateNodegroupVersion(m.cluster, m.nodegroup, { id: g.launchTemplateId, version: g.fromVersion }, rollout.forceManagedNodeGroupUpdates, updateToken(g, m, g.toVersion as string, g.fromVersion));
    logger.warn(`EKS update ${back.id} started back to launch template version ${g.fromVersion}`, { asgName: g.asgName });
    return { ...g, state: 'failed', status, reason: `update back to launch template version ${g.fromVersion} started (EKS has no rollback); ${reason}` };
  } catch (error) {
    return { ...g, state: 'failed', status, reason: `the update back to version ${g.fromVersion} could not be started (${error instanceof Error ? error.message : String(error)}): update the node group by hand; ${reason}` };
  }
}
