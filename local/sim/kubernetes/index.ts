import { KubernetesApi, type RbacRule } from './api.js';
import { SimulatedCluster, type ClusterOptions } from './cluster.js';

export { KubernetesApi, operationFor, type ApiCall, type RbacRule } from './api.js';
export { SimulatedCluster, pdbName, type ClusterOptions } from './cluster.js';
export * from './model.js';

/** A simulated EKS cluster and its API; `api.request` is the transport a KubernetesClient is built on. */
export function simulatedCluster(options: ClusterOptions & { rbac?: RbacRule[] }): { cluster: SimulatedCluster; api: KubernetesApi } {
  const cluster = new SimulatedCluster(options);
  return { cluster, api: new KubernetesApi(cluster, options.rbac) };
}
