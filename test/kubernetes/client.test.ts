import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesApiError, KubernetesClient, KubernetesUnauthorizedError, type KubernetesTransport } from '../../lib/kubernetes/client.js';
import { httpsTransport } from '../../lib/kubernetes/https.js';

// A self-signed certificate for localhost, made for this test only (openssl req -x509, EC P-256, 100 years).
const fixture = (f: string) => readFileSync(resolve(import.meta.dirname, '../fixtures/kubernetes', f), 'utf8');
const cert = fixture('localhost.cert.pem');

describe('httpsTransport', () => {
  let server: Server;
  let endpoint = '';
  const seen: { method?: string; url?: string; auth?: string; type?: string; body: string }[] = [];
  beforeAll(async () => {
    server = createServer({ key: fixture('localhost.key.pem'), cert }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers['content-type'], body });
        res.writeHead(req.url?.startsWith('/api/v1/nodes/') ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(req.url?.startsWith('/api/v1/nodes/') ? { metadata: { name: 'n1' }, spec: { unschedulable: true } } : { kind: 'Status', code: 404 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `https://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the bearer token and a merge-patch body to an API server trusted through the cluster CA only', async () => {
    let minted = 0;
    const client = new KubernetesClient(httpsTransport({ endpoint, caData: Buffer.from(cert).toString('base64'), token: () => `k8s-aws-v1.token${++minted}` }));
    const node = await client.cordonNode('n1');
    expect(node.spec.unschedulable).toBe(true);
    expect(seen.at(-1)).toEqual({ method: 'PATCH', url: '/api/v1/nodes/n1', auth: 'Bearer k8s-aws-v1.token1', type: 'application/merge-patch+json', body: '{"spec":{"unschedulable":true}}' });
    expect(await client.getNode('n1')).toBeDefined();
    expect(seen.at(-1)?.auth).toBe('Bearer k8s-aws-v1.token2');
  });

  it('refuses a server whose certificate the cluster CA did not sign', async () => {
    const wrongCa = httpsTransport({ endpoint, caData: Buffer.from(fixture('other-ca.cert.pem')).toString('base64'), token: () => 't' });
    const before = seen.length;
    await expect(wrongCa('GET', '/api/v1/nodes/n1')).rejects.toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT_SIGNATURE_FAILURE/) });
    expect(seen.length).toBe(before);
  });
});

describe('KubernetesClient', () => {
  const answering = (status: number, body: unknown): { transport: KubernetesTransport; paths: string[] } => {
    const paths: string[] = [];
    return { paths, transport: async (_m, path) => (paths.push(path), { status, body }) };
  };

  it('turns a 401 into KubernetesUnauthorizedError naming the access entry to create', async () => {
    const { transport } = answering(401, { kind: 'Status', message: 'Unauthorized', code: 401 });
    await expect(new KubernetesClient(transport).listNodes()).rejects.toThrow(KubernetesUnauthorizedError);
    await expect(new KubernetesClient(transport).listNodes()).rejects.toThrow(/EKS access entry/);
  });

  it('marks 5xx and 429 answers as retryable for withRetries, 4xx as not', async () => {
    const fail = (status: number): Promise<KubernetesApiError> =>
      new KubernetesClient(answering(status, {}).transport).listNodes().then(
        () => {
          throw new Error(`HTTP ${status} did not fail`);
        },
        (e: unknown) => e as KubernetesApiError,
      );
    expect((await fail(503)).$fault).toBe('server');
    expect((await fail(429)).$fault).toBe('server');
    expect((await fail(400)).$fault).toBe('client');
  });

  it('answers undefined for a node that does not exist', async () => {
    expect(await new KubernetesClient(answering(404, { kind: 'Status', code: 404 }).transport).getNode('gone')).toBeUndefined();
  });

  it('selects pods by node with an encoded field selector and encodes names in eviction paths', async () => {
    const a = answering(200, { items: [] });
    await new KubernetesClient(a.transport).listPodsOnNode('ip-10-0-1-2.us-west-2.compute.internal');
    expect(a.paths).toEqual(['/api/v1/pods?fieldSelector=spec.nodeName%3Dip-10-0-1-2.us-west-2.compute.internal&limit=500']);
    const b = answering(201, { kind: 'Status', status: 'Success' });
    expect(await new KubernetesClient(b.transport).evictPod('kube system', 'a/b')).toEqual({ outcome: 'evicted' });
    expect(b.paths).toEqual(['/api/v1/namespaces/kube%20system/pods/a%2Fb/eviction']);
  });
});
