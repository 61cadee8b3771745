import { DescribeClusterCommand, DescribeNodegroupCommand, DescribeUpdateCommand, EKSClient, UpdateNodegroupVersionCommand, type Nodegroup } from '@aws-sdk/client-eks';
import type { DescribeCluster } from '../eks/cluster.js';
import { clientOptions } from './options.js';
import { withRetries } from './retry.js';

/** Created once per process (warm invocations reuse it); one module per service so each bundle holds only the SDK clients its function uses. */
export const eks = /* @__PURE__ */ new EKSClient(clientOptions);

/** DescribeCluster (Amazon EKS API Reference): endpoint, CA, status, access config. ResourceNotFoundException reaches the caller. */
export const describeCluster: DescribeCluster = (name) =>
  withRetries(() => eks.send(new DescribeClusterCommand({ name })), { operation: 'DescribeCluster' }).then((o) => o.cluster ?? {});

/**
 * DescribeNodegroup (Amazon EKS API Reference): status, amiType, launchTemplate {id, name, version},
 * resources.autoScalingGroups. ResourceNotFoundException (no such cluster or node group) reaches the caller.
 */
export const describeNodegroup = (cluster: string, nodegroup: string): Promise<Nodegroup> =>
  withRetries(() => eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: nodegroup })), { operation: 'DescribeNodegroup' }).then((o) => o.nodegroup ?? {});

/**
 * UpdateNodegroupVersion with a launch template version (EKS User Guide, "Update a managed node group"): EKS replaces
 * the nodes itself, drains them honouring PodDisruptionBudgets, and fails with PodEvictionFailure unless `force`.
 */
export const updateNodegroupVersion = (clusterName: string, nodegroupName: string, launchTemplate: { id: string; version: string }, force: boolean, clientRequestToken: string) =>
  withRetries(() => eks.send(new UpdateNodegroupVersionCommand({ clusterName, nodegroupName, launchTemplate, force, clientRequestToken })), { operation: 'UpdateNodegroupVersion' }).then((o) => o.update ?? {});

/** DescribeUpdate: InProgress, Failed, Cancelled or Successful, with errors[] (errorCode, errorMessage, resourceIds). */
export const describeUpdate = (name: string, nodegroupName: string, updateId: string) =>
  withRetries(() => eks.send(new DescribeUpdateCommand({ name, nodegroupName, updateId })), { operation: 'DescribeUpdate' }).then((o) => o.update ?? {});
