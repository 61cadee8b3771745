import type { KubernetesClient } from './client.js';
import { selects, type Pod, type PodDisruptionBudget } from './types.js';

/**
 * Drain of one node before its instance terminates, as `kubectl drain` does it
 * ("Safely Drain a Node", kubernetes.io): cordon, then the Eviction API for every pod
 * but DaemonSet-owned and mirror pods, so PodDisruptionBudgets and
 * terminationGracePeriodSeconds are respected. Pods are never deleted directly.
 *
 * A Lambda calls drainStep once per poll: it makes one pass and says how long to wait
 * before the next one; the state machine's Wait state does the waiting, and the
 * progress it carries between passes is all the memory the drain has.
 */
export interface PodRef {
  namespace: string;
  name: string;
}

export interface DrainProgress {
  instanceId: string;
  nodeName?: string;
  startedAt: number;
  /** Consecutive passes in which a PodDisruptionBudget refused an eviction: drives the backoff. */
  blockedPasses: number;
  /** Pods whose eviction the API accepted, over all passes. */
  evicted: PodRef[];
}

export interface BlockedPod {
  pod: PodRef;
  /** The budget that held it (from the 429's cause, else the namespace's budget selecting the pod). */
  pdb?: string;
  message: string;
}

export type DrainState =
  /** Work remains: call again after waitSeconds. */
  | 'draining'
  /** No pod but DaemonSet and mirror pods is left on the node: CONTINUE the termination. */
  | 'drained'
  /** No Node for the instance (never registered, or already removed): nothing to drain. */
  | 'nodeGone'
  /** The deadline passed with pods left: `blocked`, `misconfigured` and `remaining` say which and why. */
  | 'deadlineReached';

export interface DrainStepResult {
  state: DrainState;
  progress: DrainProgress;
  waitSeconds: number;
  /** Pods still to leave the node (terminating or not yet evicted). */
  remaining: PodRef[];
  blocked: BlockedPod[];
  /** 500: the pod matches several PodDisruptionBudgets, which the Eviction API refuses until an operator fixes them. */
  misconfigured: BlockedPod[];
  /** Pods a drain leaves in place, with why. */
  skipped: { pod: PodRef; reason: 'DaemonSet' | 'mirror' }[];
  /** Pods evicted in this pass. */
  evictedNow: PodRef[];
}

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const BACKOFF = { firstSeconds: 5, capSeconds: 60 };
const ref = (p: Pod): PodRef => ({ namespace: p.metadata.namespace ?? 'default', name: p.metadata.name });

/** Why a pod stays (kubectl drain's filters: DaemonSet pods come back at once, mirror pods belong to the kubelet), or undefined to evict it. */
export function skipReason(pod: Pod): 'DaemonSet' | 'mirror' | undefined {
  if (pod.metadata.annotations && Object.hasOwn(pod.metadata.annotations, MIRROR_ANNOTATION)) return 'mirror';
  if (pod.metadata.ownerReferences?.some((o) => o.controller === true && o.kind === 'DaemonSet')) return 'DaemonSet';
  return undefined;
}

/** Backoff after a refused eviction: 5, 10, 20, 40, then 60 s; a Retry-After from the API is a floor. */
export function blockedBackoffSeconds(blockedPasses: number, retryAfterSeconds = 0): number {
  return Math.max(retryAfterSeconds, Math.min(BACKOFF.capSeconds, BACKOFF.firstSeconds * 2 ** Math.max(0, blockedPasses - 1)));
}

/** Waiting on terminating pods: until the earliest one's deletionTimestamp (now + its grace period), within 5–60 s. */
export function terminatingWaitSeconds(pods: readonly Pod[], now: number): number {
  const ends = pods.map((p) => Date.parse(p.metadata.deletionTimestamp ?? '')).filter(Number.isFinite);
  const earliest = ends.length ? Math.min(...ends) : now + BACKOFF.firstSeconds * 1000;
  return Math.min(BACKOFF.capSeconds, Math.max(BACKOFF.firstSeconds, Math.ceil((earliest - now) / 1000)));
}

export function startDrain(instanceId: string, now: number): DrainProgress {
  return { instanceId, startedAt: now, blockedPasses: 0, evicted: [] };
}

export async function drainStep(client: KubernetesClient, progress: DrainProgress, now: number, deadline: number): Promise<DrainStepResult> {
  const empty = { remaining: [], blocked: [], misconfigured: [], skipped: [], evictedNow: [] };
  const node = progress.nodeName ? await client.getNode(progress.nodeName) : await client.findNodeByInstanceId(progress.instanceId);
  if (!node) return { ...empty, state: 'nodeGone', progress, waitSeconds: 0 };
  const nodeName = node.metadata.name;
  if (node.spec.unschedulable !== true) await client.cordonNode(nodeName);

  const pods = await client.listPodsOnNode(nodeName);
  const skipped: DrainStepResult['skipped'] = [];
  const toLeave: Pod[] = [];
  for (const pod of pods) {
    const reason = skipReason(pod);
    if (reason) skipped.push({ pod: ref(pod), reason });
    else toLeave.push(pod);
  }

  const budgets = new Map<string, PodDisruptionBudget[]>();
  const budgetsSelecting = async (pod: Pod): Promise<string[]> => {
    const ns = ref(pod).namespace;
    if (!budgets.has(ns)) budgets.set(ns, await client.listPodDisruptionBudgets(ns));
    return (budgets.get(ns) ?? []).filter((b) => selects(b.spec.selector, pod.metadata.labels)).map((b) => b.metadata.name);
  };

  const blocked: BlockedPod[] = [];
  const misconfigured: BlockedPod[] = [];
  const evictedNow: PodRef[] = [];
  let retryAfter = 0;
  for (const pod of toLeave) {
    if (pod.metadata.deletionTimestamp) continue; // already leaving: wait for its grace period
    const result = await client.evictPod(ref(pod).namespace, ref(pod).name);
    if (result.outcome === 'evicted') evictedNow.push(ref(pod));
    else if (result.outcome === 'blocked') {
      const pdb = result.pdbName ?? (await budgetsSelecting(pod))[0];
      blocked.push({ pod: ref(pod), ...(pdb ? { pdb } : {}), message: result.message });
      retryAfter = Math.max(retryAfter, result.retryAfterSeconds ?? 0);
    } else if (result.outcome === 'misconfigured') {
      const names = await budgetsSelecting(pod);
      misconfigured.push({ pod: ref(pod), ...(names.length ? { pdb: names.join(', ') } : {}), message: result.message });
    }
  }

  const next: DrainProgress = {
    ...progress,
    nodeName,
    blockedPasses: blocked.length || misconfigured.length ? progress.blockedPasses + 1 : 0,
    evicted: [...progress.evicted, ...evictedNow],
  };
  const base = { progress: next, remaining: toLeave.map(ref), blocked, misconfigured, skipped, evictedNow };
  if (toLeave.length === 0) return { ...base, state: 'drained', waitSeconds: 0 };
  if (now >= deadline) return { ...base, state: 'deadlineReached', waitSeconds: 0 };
  const terminating = toLeave.filter((p) => p.metadata.deletionTimestamp);
  const wait = next.blockedPasses > 0 ? blockedBackoffSeconds(next.blockedPasses, retryAfter) : terminatingWaitSeconds(terminating, now);
  // Never sleep past the deadline: the pass at the deadline is the one that reports.
  return { ...base, state: 'draining', waitSeconds: Math.max(1, Math.min(wait, Math.ceil((deadline - now) / 1000))) };
}
