import { describeCluster, eks } from '../aws/eks.js';
import { clusterAccess, type ClusterAccess, type EksClusterDescription } from '../eks/cluster.js';
import type { KubernetesClient } from './client.js';
import { kubernetesSession } from './session.js';

/**
 * The Kubernetes API of an EKS cluster, as this Lambda's role: DescribeCluster once per cluster for the Lambda's life
 * (endpoint, CA), then lib/kubernetes/session.ts. `description` skips the DescribeCluster when the caller has just made
 * it (the plan). Throws PlanError when the cluster cannot be used (not ACTIVE, CONFIG_MAP mode, no endpoint).
 */
const accesses = new Map<string, Promise<ClusterAccess>>();

export function accessOf(clusterName: string, description?: EksClusterDescription): Promise<ClusterAccess> {
  let pending = accesses.get(clusterName);
  if (!pending) {
    pending = clusterAccess(description ? async () => description : describeCluster, clusterName);
    accesses.set(clusterName, pending);
    // A failed DescribeCluster is not cached: the next invocation may find the cluster ACTIVE.
    pending.catch(() => accesses.delete(clusterName));
  }
  return pending;
}

export async function kubernetesFor(clusterName: string, description?: EksClusterDescription): Promise<KubernetesClient> {
  const access = await accessOf(clusterName, description);
  return kubernetesSession(access, await eks.config.region(), () => eks.config.credentials());
}
