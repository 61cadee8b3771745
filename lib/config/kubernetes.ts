import type { KubernetesConfig, NodeGroupSelector, Variant } from '../config.js';

/**
 * Config answers for Kubernetes, apart from the schema so that Lambdas importing them do
 * not bundle zod (lib/config.ts is read at package time; at run time the config is inlined).
 */

/** What the run does in Kubernetes for one group: its cluster (undefined: unknown), and whether the gate and our drain apply. */
export interface GroupKubernetes {
  cluster: string | undefined;
  gate: boolean;
  drain: boolean;
}

/**
 * The cluster config names for a group: the node group selector's wins over the variant's.
 * Undefined: the plan reads the ASG's cluster tags.
 */
export function configuredCluster(variant: Pick<Variant, 'cluster'>, selector: Pick<NodeGroupSelector, 'cluster'> | undefined): string | undefined {
  return selector?.cluster ?? variant.cluster;
}

/**
 * Gate and drain for a group whose cluster is `cluster` (from config or tags). Both default
 * to on when the cluster is known and off otherwise; `false` turns them off everywhere.
 * An explicit `true` with an unknown cluster is not decided here: the plan refuses it
 * (kubernetesProblems in lib/plan/kubernetes.ts), since it cannot be carried out.
 */
export function groupKubernetes(k: Pick<KubernetesConfig, 'readinessGate' | 'drain'>, cluster: string | undefined): GroupKubernetes {
  const known = cluster !== undefined;
  return { cluster, gate: known && k.readinessGate !== false, drain: known && k.drain.enabled !== false };
}

/** A managed node group's cluster: the selector's, else the variant's (config refuses a managed node group with neither). */
export function managedCluster(variant: Pick<Variant, 'cluster'>, selector: Pick<NodeGroupSelector, 'cluster'>): string | undefined {
  return selector.cluster ?? variant.cluster;
}

/** The managed node groups a variant names, with their clusters (config guarantees the cluster), in config order. */
export function managedNodeGroupsOf(variant: Pick<Variant, 'cluster' | 'nodeGroups'>): { cluster: string; nodegroup: string; canary: boolean }[] {
  return variant.nodeGroups.flatMap((g) => {
    const cluster = managedCluster(variant, g);
    return g.managedNodeGroup !== undefined && cluster !== undefined ? [{ cluster, nodegroup: g.managedNodeGroup, canary: g.canary }] : [];
  });
}
