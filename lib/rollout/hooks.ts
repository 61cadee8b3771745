import type { Variant } from '../config.js';
import type { ClusterAccess } from '../eks/cluster.js';
import type { KubernetesClient } from '../kubernetes/client.js';
import { expectationFor, nodeOfInstance } from '../kubernetes/gate.js';
import type { Node } from '../kubernetes/types.js';
import { deleteHooks, putHooks, type HookPlan } from '../lifecycle/hooks.js';
import type { NodeGroupKubernetes } from '../plan/types.js';
import { liveSpecs } from './standing.js';

/** What a wave needs to put our lifecycle hooks on its groups. */
export interface WaveHooks {
  stage: string;
  run: string;
  variant: Pick<Variant, 'id' | 'windows' | 'kubernetes'>;
  readinessTimeoutMinutes: number;
  kubernetes: (cluster: string) => Promise<KubernetesClient>;
  /** At the wave's start: each hooked cluster's endpoint and CA, kept in the wave's state for its checks. */
  access?: (cluster: string) => Promise<ClusterAccess>;
}

/** Our hooks for a group, or undefined when neither the gate nor our drain applies to it. */
export function hookPlanOf(g: { kubernetes?: NodeGroupKubernetes | undefined; toVersion: string | null }): HookPlan | undefined {
  const k = g.kubernetes;
  if (!k || g.toVersion === null) return undefined;
  const plan = { gate: k.gate, drain: k.drain === 'ours' };
  return plan.gate || plan.drain ? plan : undefined;
}

/**
 * Puts the hooks on one group right before its refresh starts. The gate's expectations are read now, from the group's
 * current nodes: the labels and taints they all share (os=windows:NoSchedule and the like) must be on every new node.
 */
export async function putGroupHooks(
  g: { asgName: string; launchTemplateId: string; toVersion: string | null; kubernetes?: NodeGroupKubernetes | undefined },
  plan: HookPlan,
  h: WaveHooks,
): Promise<void> {
  const cluster = (g.kubernetes as NodeGroupKubernetes).cluster;
  const oldNodes = plan.gate ? await groupNodes(await h.kubernetes(cluster), g.asgName) : [];
  const expected = expectationFor(h.variant, oldNodes);
  await putHooks(
    g.asgName,
    h.stage,
    plan,
    { v: 1, run: h.run, variant: h.variant.id, cluster, lt: `${g.launchTemplateId}:${g.toVersion}`, build: expected.windowsBuild, k8s: expected.kubernetesMinor, labels: expected.labels, taints: expected.taints },
    h.readinessTimeoutMinutes * 60,
  );
}

/** The Nodes of the group's instances now. */
export async function groupNodes(client: KubernetesClient, asgName: string): Promise<Node[]> {
  const spec = (await liveSpecs([asgName])).get(asgName);
  const nodes = await client.listNodes();
  return (spec?.instances ?? []).map((i) => nodeOfInstance(nodes, i.instanceId)).filter((n): n is Node => n !== undefined);
}

export async function removeGroupHooks(g: { asgName: string; toVersion: string | null; kubernetes?: NodeGroupKubernetes | undefined }, stage: string): Promise<void> {
  const plan = hookPlanOf(g);
  if (plan) await deleteHooks(g.asgName, stage, plan);
}
