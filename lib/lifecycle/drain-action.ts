import type { KubernetesClient } from '../kubernetes/client.js';
import { drainStep, startDrain, type DrainProgress, type DrainStepResult } from '../kubernetes/drain.js';
import { logger } from '../logger.js';
import type { ActionStep, LifecycleEvent } from './event.js';
import { completeAction, heartbeat, ownActiveRefresh, recordVerdict, rollBack, rollbackImpossible } from './action.js';
import { decodeMetadata } from './metadata.js';

export interface DrainSettings {
  stage: string;
  timeoutMinutes: number;
  onTimeout: 'rollback' | 'terminate';
  kubernetes: (cluster: string) => Promise<KubernetesClient>;
}

export interface DrainCarry {
  progress: DrainProgress;
  deadline: number;
}

export interface DrainStep extends ActionStep<DrainCarry> {
  /** Pods evicted over the whole drain, and how long it took (when done). */
  evicted: number;
  seconds: number;
}

const RETRY_UNREACHABLE_SECONDS = 15;

/**
 * One pass of the drain of a terminating instance's node: heartbeat, cordon, evict (never delete) every pod but
 * DaemonSet and mirror pods, then CONTINUE once only those are left. At the deadline the pods still there and the
 * budgets that held them are named; `onTimeout` decides: terminate anyway, or roll our refresh back first so no other
 * node of the group is touched. Either way the instance itself terminates: a Terminating:Wait instance cannot go back.
 */
export async function drainOldNode(event: LifecycleEvent, carry: DrainCarry | null, s: DrainSettings): Promise<DrainStep> {
  const action = event.detail;
  const asgName = action.AutoScalingGroupName;
  const meta = decodeMetadata(action.NotificationMetadata);
  const now = Date.now();
  const state: DrainCarry = carry ?? { progress: startDrain(action.EC2InstanceId, Date.parse(event.time)), deadline: Date.parse(event.time) + s.timeoutMinutes * 60_000 };
  const figures = (p: DrainProgress) => ({ evicted: p.evicted.length, seconds: Math.round((now - p.startedAt) / 1000) });
  const done = (decision: string, reason: string, p: DrainProgress): DrainStep => ({ done: true, waitSeconds: 0, carry: null, decision, reason, ...figures(p) });
  if (!meta) {
    await completeAction(action, 'CONTINUE');
    return done('continue', 'hook carries no metadata of ours', state.progress);
  }
  if (!(await heartbeat(action))) return done('over', 'the lifecycle action had already ended (its hook was removed or it timed out)', state.progress);

  let step: DrainStepResult;
  try {
    step = await drainStep(await s.kubernetes(meta.cluster), state.progress, now, state.deadline);
  } catch (error) {
    const why = `the Kubernetes API of cluster ${meta.cluster} could not be read (${error instanceof Error ? error.message : String(error)})`;
    if (now < state.deadline) {
      logger.warn(`${why}; trying again`, { asgName });
      return { done: false, waitSeconds: RETRY_UNREACHABLE_SECONDS, carry: state, decision: 'wait', reason: why, ...figures(state.progress) };
    }
    return timedOut(event, s, meta.lt, `drain of ${action.EC2InstanceId} could not finish: ${why}`, state.progress);
  }
  if (step.state === 'draining')
    return { done: false, waitSeconds: step.waitSeconds, carry: { ...state, progress: step.progress }, decision: 'draining', reason: `${step.remaining.length} pod(s) still to leave`, ...figures(step.progress) };
  if (step.state === 'drained' || step.state === 'nodeGone') {
    await completeAction(action, 'CONTINUE');
    const reason = step.state === 'drained' ? `node ${step.progress.nodeName} drained: ${step.progress.evicted.length} pod(s) evicted` : `no Node for ${action.EC2InstanceId}: nothing to drain`;
    logger.info(reason, { asgName });
    return done('continue', reason, step.progress);
  }
  return timedOut(event, s, meta.lt, drainTimeoutText(action.EC2InstanceId, s.timeoutMinutes, step), step.progress);
}

/** "drain of ip-… (i-…) timed out after 30 min: default/web-1 held by PDB web-pdb; …" */
export function drainTimeoutText(instanceId: string, minutes: number, step: Pick<DrainStepResult, 'progress' | 'remaining' | 'blocked' | 'misconfigured'>): string {
  const held = new Map([...step.blocked, ...step.misconfigured].map((b) => [`${b.pod.namespace}/${b.pod.name}`, b.pdb]));
  const pods = step.remaining.map((p) => {
    const id = `${p.namespace}/${p.name}`;
    const pdb = held.get(id);
    return pdb ? `${id} held by PDB ${pdb}` : `${id} still terminating`;
  });
  return `drain of ${step.progress.nodeName ?? '?'} (${instanceId}) timed out after ${minutes} min with ${pods.length} pod(s) left: ${pods.join('; ')}`;
}

async function timedOut(event: LifecycleEvent, s: DrainSettings, lt: string, text: string, progress: DrainProgress): Promise<DrainStep> {
  const action = event.detail;
  const asgName = action.AutoScalingGroupName;
  const own = await ownActiveRefresh(asgName, lt);
  let next = own || s.onTimeout === 'terminate' ? 'the instance terminates with them (kubernetes.drain.onTimeout: terminate)' : 'no refresh of ours is running to roll back (it is already rolling back, or over): the instance terminates with them';
  if (own) {
    await recordVerdict(asgName, s.stage, own.id, text);
    if (s.onTimeout === 'rollback') {
      await rollBack(asgName, own.id).catch((error: unknown) => {
        if (!rollbackImpossible(error)) throw error;
      });
      next = `refresh ${own.id} rolled back so no other node is drained; this instance still terminates with those pods (kubernetes.drain.onTimeout: rollback)`;
    }
  }
  await completeAction(action, 'CONTINUE');
  logger.error(`${text}; ${next}`, { asgName });
  return { done: true, waitSeconds: 0, carry: null, decision: 'timedOut', reason: `${text}; ${next}`, evicted: progress.evicted.length, seconds: Math.round((Date.now() - progress.startedAt) / 1000) };
}
