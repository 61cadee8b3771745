import { describeCluster, eks } from '../aws/eks.js';
import { clusterAccess, type EksClusterDescription } from '../eks/cluster.js';
import { KubernetesClient } from './client.js';
import { httpsTransport } from './https.js';
import type { AwsCredentials } from './sigv4.js';
import { eksToken } from './token.js';

/**
 * One KubernetesClient per cluster for the Lambda's life: DescribeCluster (endpoint, CA)
 * once, then a token minted per request (lib/kubernetes/token.ts) from the Lambda role's
 * credentials, which the EKS client's own provider resolves (the SDK memoizes them and
 * refreshes them before they expire). Each call re-reads them, so a warm Lambda never signs
 * with expired role credentials; the token itself is never reused (EKS honours it 15 minutes).
 */
interface Connection {
  client: KubernetesClient;
  /** Read by the token function at each request; replaced at each kubernetesFor call. */
  signer: { credentials: AwsCredentials };
}

const connections = new Map<string, Promise<Connection>>();

async function credentials(): Promise<AwsCredentials> {
  const c = await eks.config.credentials();
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
}

async function connect(clusterName: string, description: EksClusterDescription | undefined): Promise<Connection> {
  const access = await clusterAccess(description ? async () => description : describeCluster, clusterName);
  const region = await eks.config.region();
  const signer = { credentials: await credentials() };
  const transport = httpsTransport({
    endpoint: access.endpoint,
    caData: access.caData,
    token: () => eksToken({ clusterName, region, credentials: signer.credentials }).token,
  });
  return { client: new KubernetesClient(transport), signer };
}

/**
 * The Kubernetes API of an EKS cluster, as this Lambda's role. `description` skips the
 * DescribeCluster when the caller has just made it (the plan). Throws PlanError when the
 * cluster cannot be used (not ACTIVE, CONFIG_MAP mode, no endpoint): see accessProblems.
 */
export async function kubernetesFor(clusterName: string, description?: EksClusterDescription): Promise<KubernetesClient> {
  let pending = connections.get(clusterName);
  if (!pending) {
    pending = connect(clusterName, description);
    connections.set(clusterName, pending);
    // A failed connection is not cached: the next invocation may find the cluster ACTIVE.
    pending.catch(() => connections.delete(clusterName));
  }
  const connection = await pending;
  connection.signer.credentials = await credentials();
  return connection.client;
}
