import type { KubernetesClient } from '../kubernetes/client.js';
import { gateVerdict } from '../kubernetes/gate.js';
import type { Node } from '../kubernetes/types.js';
import { logger } from '../logger.js';
import type { ActionStep, LifecycleEvent } from './event.js';
import { completeAction, ownActiveRefresh, recordVerdict, rollBack, rollbackImpossible } from './action.js';
import { decodeMetadata } from './metadata.js';

export interface GateSettings {
  stage: string;
  readinessTimeoutMinutes: number;
  kubernetes: (cluster: string) => Promise<KubernetesClient>;
}

const RETRY_UNREACHABLE_SECONDS = 15;

/**
 * One look at a launching instance's Node. CONTINUE when it is Ready with the variant's Windows build, kubelet minor and
 * the group's shared labels and taints; ABANDON on a wrong build or kubelet (they never heal) or at the deadline
 * (readinessTimeoutMinutes after the instance entered Pending:Wait). An abandon during our refresh first rolls the
 * refresh back: Auto Scaling would otherwise just launch the next instance of the same AMI.
 */
export async function checkNewNode(event: LifecycleEvent, s: GateSettings): Promise<ActionStep<null>> {
  const action = event.detail;
  const meta = decodeMetadata(action.NotificationMetadata);
  if (!meta) {
    // Our hook always carries our metadata; without it we cannot judge, and holding the launch would only hurt.
    await completeAction(action, 'CONTINUE');
    return { done: true, waitSeconds: 0, carry: null, decision: 'continue', reason: 'hook carries no metadata of ours' };
  }
  const now = Date.now();
  const deadline = Date.parse(event.time) + s.readinessTimeoutMinutes * 60_000;
  let nodes: Node[];
  try {
    nodes = await (await s.kubernetes(meta.cluster)).listNodes();
  } catch (error) {
    const why = `the Kubernetes API of cluster ${meta.cluster} could not be read (${error instanceof Error ? error.message : String(error)})`;
    if (now < deadline) {
      logger.warn(`${why}; trying again`, { asgName: action.AutoScalingGroupName });
      return { done: false, waitSeconds: RETRY_UNREACHABLE_SECONDS, carry: null, decision: 'wait', reason: why };
    }
    return abandon(event, s, meta.lt, `${why} until the deadline`);
  }
  const verdict = gateVerdict({ instanceId: action.EC2InstanceId, nodes, expected: { windowsBuild: meta.build, kubernetesMinor: meta.k8s, labels: meta.labels, taints: meta.taints }, now, deadline });
  if (verdict.verdict === 'wait') return { done: false, waitSeconds: verdict.waitSeconds, carry: null, decision: 'wait', reason: verdict.reason };
  if (verdict.verdict === 'continue') {
    await completeAction(action, 'CONTINUE');
    logger.info(`readiness gate: Node ${verdict.nodeName} of ${action.EC2InstanceId} is Ready with the variant's build; launch continues`, { asgName: action.AutoScalingGroupName });
    return { done: true, waitSeconds: 0, carry: null, decision: 'continue', reason: `Node ${verdict.nodeName} Ready` };
  }
  const text = /at the deadline$/.test(verdict.reason)
    ? `new node ${action.EC2InstanceId} never became Ready within ${s.readinessTimeoutMinutes} min: ${verdict.reason.replace(/ at the deadline$/, '')}`
    : `new node ${action.EC2InstanceId} refused: ${verdict.reason}`;
  return abandon(event, s, meta.lt, text);
}

async function abandon(event: LifecycleEvent, s: GateSettings, lt: string, text: string): Promise<ActionStep<null>> {
  const action = event.detail;
  const asgName = action.AutoScalingGroupName;
  const own = await ownActiveRefresh(asgName, lt);
  if (own) {
    await recordVerdict(asgName, s.stage, own.id, `readiness gate: ${text}`);
    await rollBack(asgName, own.id).catch((error: unknown) => {
      // Someone (AutoRollback, a parallel action) got there first: the refresh is already ending.
      if (!rollbackImpossible(error)) throw error;
    });
  }
  await completeAction(action, 'ABANDON');
  logger.error(`readiness gate abandoned ${action.EC2InstanceId}: ${text}${own ? `; refresh ${own.id} rolled back` : ''}`, { asgName });
  return { done: true, waitSeconds: 0, carry: null, decision: 'abandon', reason: text };
}
