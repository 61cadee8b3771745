import type { ClusterAccess } from '../eks/cluster.js';
import { KubernetesClient } from './client.js';
import { httpsTransport } from './https.js';
import type { AwsCredentials } from './sigv4.js';
import { eksToken } from './token.js';

/**
 * One KubernetesClient per cluster for the Lambda's life, once the cluster's endpoint and CA are known (DescribeCluster,
 * lib/kubernetes/connect.ts, or handed over in the wave's state). A token is minted per request (lib/kubernetes/token.ts)
 * from the Lambda role's credentials, re-read at each call, so a warm Lambda never signs with expired ones; the token
 * itself is never reused (EKS honours it 15 minutes).
 */
export type CredentialsSource = () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined }>;

interface Session {
  client: KubernetesClient;
  signer: { credentials: AwsCredentials };
}

const sessions = new Map<string, Session>();

async function current(source: CredentialsSource): Promise<AwsCredentials> {
  const c = await source();
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
}

/**
 * Clients for the clusters whose access a caller already holds (the wave's state carries what its start read with
 * DescribeCluster): no EKS client needed. A cluster missing from it is an error, never a guess.
 */
export function kubernetesFromAccess(clusters: Record<string, ClusterAccess> | undefined, region: string, credentials: CredentialsSource) {
  return async (cluster: string): Promise<KubernetesClient> => {
    const access = clusters?.[cluster];
    if (!access) throw new Error(`cluster ${cluster} is not in the wave's state: the wave started without its access (redeployed mid-run?)`);
    return kubernetesSession(access, region, credentials);
  };
}

export async function kubernetesSession(access: ClusterAccess, region: string, credentials: CredentialsSource): Promise<KubernetesClient> {
  const key = `${access.name} ${access.endpoint}`;
  const known = sessions.get(key);
  if (known) {
    known.signer.credentials = await current(credentials);
    return known.client;
  }
  const signer = { credentials: await current(credentials) };
  const transport = httpsTransport({
    endpoint: access.endpoint,
    caData: access.caData,
    token: () => eksToken({ clusterName: access.name, region, credentials: signer.credentials }).token,
  });
  const session = { client: new KubernetesClient(transport), signer };
  sessions.set(key, session);
  return session.client;
}
