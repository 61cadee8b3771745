import { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, type Nodegroup } from '@aws-sdk/client-eks';
import type { DescribeCluster } from '../eks/cluster.js';
import { clientOptions } from './options.js';
import { withRetries } from './retry.js';

/** Created once per process (warm invocations reuse it); one module per service so each bundle holds only the SDK clients its function uses. */
export const eks = new EKSClient(clientOptions);

/** DescribeCluster (Amazon EKS API Reference): endpoint, CA, status, access config. ResourceNotFoundException reaches the caller. */
export const describeCluster: DescribeCluster = (name) =>
  withRetries(() => eks.send(new DescribeClusterCommand({ name })), { operation: 'DescribeCluster' }).then((o) => o.cluster ?? {});

/**
 * DescribeNodegroup (Amazon EKS API Reference): status, amiType, launchTemplate {id, name, version},
 * resources.autoScalingGroups. ResourceNotFoundException (no such cluster or node group) reaches the caller.
 */
export const describeNodegroup = (cluster: string, nodegroup: string): Promise<Nodegroup> =>
  withRetries(() => eks.send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: nodegroup })), { operation: 'DescribeNodegroup' }).then((o) => o.nodegroup ?? {});
