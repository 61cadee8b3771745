import { DescribeClusterCommand, EKSClient, type Cluster } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PlanError } from '../../lib/errors.js';
import { kubernetesFor } from '../../lib/kubernetes/connect.js';

/**
 * kubernetesFor end to end against a local HTTPS server with its own CA (a self-signed
 * certificate for 127.0.0.1), as an EKS endpoint presents the cluster's CA: DescribeCluster
 * (mocked), the bearer token, TLS pinned to the CA.
 */
const eks = mockClient(EKSClient);
let server: Server;
let endpoint = '';
let caData = '';
let otherCaData = '';
const seen: { path?: string; authorization?: string }[] = [];

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  const dir = mkdtempSync(join(tmpdir(), 'k8s-tls-'));
  const selfSigned = (name: string) =>
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=kubernetes', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
  selfSigned('cert');
  selfSigned('other');
  const cert = readFileSync(join(dir, 'cert.pem'));
  otherCaData = readFileSync(join(dir, 'other.pem')).toString('base64');
  caData = cert.toString('base64');
  server = createServer({ key: readFileSync(join(dir, 'cert.key')), cert }, (req, res) => {
    seen.push({ path: req.url, authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const cluster = (name: string, change: Partial<Cluster> = {}): Cluster => ({
  name,
  status: 'ACTIVE',
  endpoint,
  certificateAuthority: { data: caData },
  accessConfig: { authenticationMode: 'API' },
  resourcesVpcConfig: { endpointPublicAccess: true, endpointPrivateAccess: false },
  ...change,
});

beforeEach(() => {
  eks.reset();
  seen.length = 0;
});

describe('kubernetesFor', () => {
  it("reaches the cluster's endpoint over TLS pinned to its CA, with an EKS token for this cluster signed from the Lambda's credentials", async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: cluster('prod') });

    const client = await kubernetesFor('prod');
    await client.probe();

    expect(seen.map((s) => s.path)).toEqual(['/api/v1/nodes?limit=1']);
    const bearer = seen[0]?.authorization ?? '';
    expect(bearer).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = new URL(Buffer.from(bearer.slice('Bearer k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    expect(url.host).toBe('sts.us-west-2.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/us-west-2\/sts\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('x-k8s-aws-id');
  });

  it('describes a cluster once for the Lambda\'s life and reuses its client', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: cluster('cached') });

    const first = await kubernetesFor('cached');
    const second = await kubernetesFor('cached');

    expect(second).toBe(first);
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(1);
  });

  it('refuses a cluster it cannot use, and does not cache the refusal', async () => {
    eks.on(DescribeClusterCommand).resolvesOnce({ cluster: cluster('later', { accessConfig: { authenticationMode: 'CONFIG_MAP' } }) }).resolves({ cluster: cluster('later') });

    await expect(kubernetesFor('later')).rejects.toThrow(PlanError);
    await expect(kubernetesFor('later')).resolves.toBeDefined();
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(2);
  });

  it('trusts only the cluster\'s CA: another CA fails the TLS handshake', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: cluster('wrong-ca', { certificateAuthority: { data: otherCaData } }) });

    const client = await kubernetesFor('wrong-ca');

    await expect(client.probe()).rejects.toThrow(/self-signed certificate/);
    expect(seen).toEqual([]);
  });
});
