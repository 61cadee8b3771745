import { PlanError } from '../errors.js';

/**
 * How the Lambdas reach a cluster's Kubernetes API: endpoint and CA from EKS DescribeCluster
 * ("DescribeCluster", Amazon EKS API Reference).
 *
 * The adapter is lib/aws/eks.ts (describeCluster); everything here works on the shape below,
 * the subset of the SDK's `Cluster` type we read (same field names), so it stays testable
 * without a client.
 */
export interface EksClusterDescription {
  name?: string;
  status?: 'CREATING' | 'ACTIVE' | 'DELETING' | 'FAILED' | 'UPDATING' | 'PENDING' | string;
  endpoint?: string;
  version?: string;
  certificateAuthority?: { data?: string };
  accessConfig?: { authenticationMode?: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP' | string };
  resourcesVpcConfig?: { endpointPublicAccess?: boolean; endpointPrivateAccess?: boolean; publicAccessCidrs?: string[]; vpcId?: string };
}

export type DescribeCluster = (name: string) => Promise<EksClusterDescription>;

export interface ClusterAccess {
  name: string;
  endpoint: string;
  /** Base64 PEM, as DescribeCluster gives it. */
  caData: string;
  version: string;
  /** True when only the private endpoint is open: the Lambda must run in the cluster's VPC. */
  privateOnly: boolean;
}

/** Why a cluster cannot be reached the way the Lambdas talk to it, with the fix; [] when it can. */
export function accessProblems(name: string, c: EksClusterDescription): string[] {
  const problems: string[] = [];
  if (c.status !== 'ACTIVE') problems.push(`cluster ${name} is ${c.status ?? 'of unknown status'}, not ACTIVE: wait for it or fix it before patching its nodes`);
  if (!c.endpoint) problems.push(`cluster ${name} has no endpoint in DescribeCluster`);
  if (!c.certificateAuthority?.data) problems.push(`cluster ${name} has no certificateAuthority.data in DescribeCluster`);
  const mode = c.accessConfig?.authenticationMode;
  // EKS access entries need authentication mode API or API_AND_CONFIG_MAP ("Grant IAM users access to Kubernetes with EKS access entries").
  if (mode !== 'API' && mode !== 'API_AND_CONFIG_MAP')
    problems.push(`cluster ${name} uses authentication mode ${mode ?? 'CONFIG_MAP'}: access entries need API_AND_CONFIG_MAP (aws eks update-cluster-config --name ${name} --access-config authenticationMode=API_AND_CONFIG_MAP)`);
  return problems;
}

export async function clusterAccess(describe: DescribeCluster, name: string): Promise<ClusterAccess> {
  const c = await describe(name);
  const problems = accessProblems(name, c);
  if (problems.length) throw new PlanError(problems.join('; '));
  const vpc = c.resourcesVpcConfig ?? {};
  return {
    name,
    endpoint: c.endpoint ?? '',
    caData: c.certificateAuthority?.data ?? '',
    version: c.version ?? '',
    privateOnly: vpc.endpointPublicAccess === false && vpc.endpointPrivateAccess === true,
  };
}
