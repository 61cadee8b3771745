import { describeCluster, eks } from '../aws/eks.js';
import { withRetries } from '../aws/retry.js';
import { accessProblems, type EksClusterDescription } from '../eks/cluster.js';
import { KubernetesApiError, KubernetesForbiddenError, KubernetesUnauthorizedError } from '../kubernetes/client.js';
import { kubernetesFor } from '../kubernetes/connect.js';
import { mapLimit } from '../util.js';

/**
 * Before any write, once per cluster the run will talk to: can the Lambdas reach its
 * Kubernetes API as this stack's role? Each failure says why and what fixes it. A gate or
 * drain that found out mid-refresh would leave a group half replaced with its launch hook
 * abandoning every new node.
 */
export async function clusterProblems(clusters: string[], hasVpc: boolean): Promise<string[]> {
  const region = await eks.config.region();
  const found = await mapLimit(clusters, 4, (name) => clusterProblemsOf(name, region, hasVpc));
  return found.flat();
}

async function clusterProblemsOf(name: string, region: string, hasVpc: boolean): Promise<string[]> {
  let description: EksClusterDescription;
  try {
    description = await describeCluster(name);
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException')
      return [`cluster ${name} not found in ${region}: check cluster: in config (or the ASG's cluster tag), and that the stack is deployed in the cluster's region`];
    throw error;
  }
  const problems = accessProblems(name, description);
  const vpc = description.resourcesVpcConfig ?? {};
  // A private-only endpoint resolves and answers only inside the cluster's VPC ("Cluster API server endpoint", EKS User Guide).
  if (vpc.endpointPublicAccess === false && !hasVpc)
    problems.push(
      `cluster ${name} has a private endpoint only, so Lambdas outside its VPC cannot reach it: set kubernetes.vpc (subnetIds and securityGroupIds in VPC ${vpc.vpcId ?? 'of the cluster'} that the control plane accepts on 443), or enable its public endpoint`,
    );
  if (problems.length) return problems;
  return probe(name, description);
}

async function probe(name: string, description: EksClusterDescription): Promise<string[]> {
  try {
    const client = await kubernetesFor(name, description);
    await withRetries(() => client.probe(), { operation: 'ListNodes', attempts: 3 });
    return [];
  } catch (error) {
    if (error instanceof KubernetesUnauthorizedError)
      return [`cluster ${name} refused this stack's token (401): no EKS access entry maps this stack's roles: deploy the stack with the cluster in config (it creates the access entry)`];
    if (error instanceof KubernetesForbiddenError)
      return [`cluster ${name} forbids listing nodes to this stack's role (403): apply the RBAC manifest: kubectl apply -f resources/kubernetes-rbac.yaml`];
    if (error instanceof KubernetesApiError) return [`cluster ${name}: the Kubernetes API answered HTTP ${error.status} to a list of nodes (${error.message})`];
    const why = error instanceof Error ? error.message : String(error);
    const cidrs = description.resourcesVpcConfig?.publicAccessCidrs;
    return [
      `cluster ${name}: the Kubernetes API at ${description.endpoint ?? '(no endpoint)'} is not reachable from the Lambda (${why}): allow the Lambdas' egress to it${cidrs?.length ? ` (public access CIDRs: ${cidrs.join(', ')})` : ''}, or set kubernetes.vpc to subnets that reach its private endpoint`,
    ];
  }
}
