import type { KubernetesConfig } from '../config.js';
import { groupKubernetes } from '../config/kubernetes.js';
import { hookNames } from '../lifecycle/metadata.js';
import type { NodeGroupKubernetes } from './types.js';

/**
 * Which EKS cluster a node group belongs to, and what the run does there (readiness gate,
 * drain), all pure. The checks against the cluster itself are in lib/plan/cluster-checks.ts.
 */

const CLUSTER_KEY_PREFIX = 'kubernetes.io/cluster/';

/**
 * The cluster an ASG's tags name: `eks:cluster-name` (EKS, also on self-managed groups made
 * from AWS's templates), `alpha.eksctl.io/cluster-name` (eksctl), and the key
 * `kubernetes.io/cluster/<name>` = owned | shared (the cloud provider's and the cluster
 * autoscaler's tag). Two different names: a problem, naming them (the group cannot be in two
 * clusters; one tag is stale).
 */
export function clusterFromTags(asgName: string, tags: Record<string, string>): { cluster?: string; problem?: string } {
  const names = new Map<string, string[]>();
  const add = (name: string, tag: string) => names.set(name, [...(names.get(name) ?? []), tag]);
  for (const key of ['eks:cluster-name', 'alpha.eksctl.io/cluster-name']) {
    const value = tags[key];
    if (value) add(value, key);
  }
  for (const [key, value] of Object.entries(tags))
    if (key.startsWith(CLUSTER_KEY_PREFIX) && key.length > CLUSTER_KEY_PREFIX.length && (value === 'owned' || value === 'shared')) add(key.slice(CLUSTER_KEY_PREFIX.length), key);
  if (names.size <= 1) return names.size ? { cluster: [...names.keys()][0] } : {};
  const listed = [...names].map(([name, keys]) => `${name} (${keys.join(', ')})`).join(' and ');
  return { problem: `ASG ${asgName} is tagged with two EKS clusters, ${listed}: set cluster: on its node group in config, or fix the stale tag` };
}

/**
 * A self-managed group's cluster (config wins, then the ASG's tags) and what the run does there. Two clusters in the
 * tags is its own problem: not also reported as an unknown cluster.
 */
export function groupClusterVerdict(
  asgName: string,
  configured: string | undefined,
  tags: Record<string, string>,
  k: Pick<KubernetesConfig, 'readinessGate' | 'drain'>,
  terminationHooks: string[],
  stage: string,
): { cluster: { cluster?: string; problem?: string }; k8s: { kubernetes?: NodeGroupKubernetes; problems: string[] } } {
  const cluster = resolveCluster(asgName, configured, tags);
  return { cluster, k8s: cluster.problem ? { problems: [] } : kubernetesVerdict(asgName, cluster.cluster, k, terminationHooks, stage) };
}

/** Config wins (node group, then variant); then the ASG's tags. */
export function resolveCluster(asgName: string, configured: string | undefined, tags: Record<string, string>): { cluster?: string; problem?: string } {
  return configured !== undefined ? { cluster: configured } : clusterFromTags(asgName, tags);
}

/**
 * What the run does in Kubernetes for one group.
 * - Unknown cluster: refused when the gate or the drain is explicitly on (it could not be
 *   carried out); with the defaults, planned without both (unknownClusterWarnings warns).
 * - A termination hook that is not ours (aws-node-termination-handler in queue mode, a
 *   custom drainer) stays, and its drainer is assumed: two drainers would race over the same
 *   pods, and completing the other one's lifecycle action would cut its drain short.
 */
export function kubernetesVerdict(
  asgName: string,
  cluster: string | undefined,
  k: Pick<KubernetesConfig, 'readinessGate' | 'drain'>,
  terminationHooks: string[],
  stage: string,
): { kubernetes?: NodeGroupKubernetes; problems: string[] } {
  if (cluster === undefined) {
    const explicit = [...(k.readinessGate === true ? ['kubernetes.readinessGate'] : []), ...(k.drain.enabled === true ? ['kubernetes.drain.enabled'] : [])];
    if (explicit.length)
      return {
        problems: [`ASG ${asgName}: its EKS cluster is unknown (no cluster: in config, no cluster tag on the ASG), but ${explicit.join(' and ')} ${explicit.length > 1 ? 'are' : 'is'} true: add cluster: <name> to its node group or variant in config`],
      };
    return { problems: [] };
  }
  const on = groupKubernetes(k, cluster);
  const foreign = terminationHooks.filter((h) => h !== hookNames(stage).drain);
  const drain: NodeGroupKubernetes['drain'] = foreign.length ? { assumed: foreign[0] as string } : on.drain ? 'ours' : 'off';
  return { kubernetes: { cluster, gate: on.gate, drain }, problems: [] };
}

/**
 * One warning per variant for the groups planned without gate and drain because their
 * cluster is unknown (none when both are turned off: nothing is lost then).
 */
export function unknownClusterWarnings(asgNames: string[], k: Pick<KubernetesConfig, 'readinessGate' | 'drain'>): string[] {
  if (!asgNames.length || (k.readinessGate === false && k.drain.enabled === false)) return [];
  const shown = asgNames.length > 5 ? `${asgNames.slice(0, 5).join(', ')} and ${asgNames.length - 5} more` : asgNames.join(', ');
  return [
    `no EKS cluster known for ${asgNames.length} node group(s) (${shown}): planned without readiness gate and drain; add cluster: <name> to the variant or its node groups in config, or tag the ASGs eks:cluster-name`,
  ];
}

/** Whether the run talks to the group's cluster (and so the plan must check it can). */
export const talksToCluster = (k: NodeGroupKubernetes | undefined): k is NodeGroupKubernetes => k !== undefined && (k.gate || k.drain === 'ours');
