import { Agent, request } from 'node:https';
import type { KubernetesResponse, KubernetesTransport } from './client.js';

export interface HttpsTarget {
  /** The cluster endpoint from DescribeCluster (https://….eks.amazonaws.com). */
  endpoint: string;
  /** certificateAuthority.data from DescribeCluster: base64 PEM. */
  caData: string;
  /** A fresh bearer token (lib/kubernetes/token.ts); called per request so a long drain never sends an expired one. */
  token: () => string;
  timeoutMs?: number;
}

/** The production transport: TLS verified against the cluster's own CA, never the public roots. */
export function httpsTransport(target: HttpsTarget): KubernetesTransport {
  const base = new URL(target.endpoint);
  const agent = new Agent({ keepAlive: true, ca: Buffer.from(target.caData, 'base64').toString('utf8') });
  return (method, path, body, contentType) =>
    new Promise<KubernetesResponse>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          agent,
          method,
          hostname: base.hostname,
          port: base.port || 443,
          path,
          timeout: target.timeoutMs ?? 10_000,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${target.token()}`,
            ...(payload === undefined ? {} : { 'content-type': contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // A proxy's HTML error page: keep the text for the error message.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`Kubernetes API ${method} ${path} timed out: is the endpoint reachable from the Lambda (private endpoint needs the Lambda in the cluster's VPC)?`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
}
