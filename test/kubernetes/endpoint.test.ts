import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterAccess } from '../../lib/eks/cluster.js';
import { KubernetesClient, KubernetesForbiddenError, KubernetesUnauthorizedError } from '../../lib/kubernetes/client.js';
import { drainStep, startDrain } from '../../lib/kubernetes/drain.js';
import { httpsTransport } from '../../lib/kubernetes/https.js';
import { eksToken, TOKEN_PREFIX } from '../../lib/kubernetes/token.js';
import { installClock, type SimulatedClock } from '../../local/clock.js';
import type { SimulatedAccount } from '../../local/sim/account.js';
import { installSimulation, type CallRecord } from '../../local/sim/install.js';
import { tokenProblem } from '../../local/sim/kubernetes/endpoint.js';
import { CREDENTIALS, eksAccount, START_ISO } from '../sim/eks-fixture.js';

const original = https.request;
let clock: SimulatedClock | undefined;
let sim: { restore(): void } | undefined;
let calls: CallRecord[] = [];

afterEach(() => {
  sim?.restore();
  clock?.uninstall();
  sim = clock = undefined;
});

function setup(cluster: Record<string, unknown> = {}, knownCredentials = false): SimulatedAccount {
  clock = installClock(START_ISO);
  const account = eksAccount(cluster);
  calls = [];
  sim = installSimulation(account, { onCall: (c) => calls.push(c), ...(knownCredentials ? { credentials: [CREDENTIALS] } : {}) });
  return account;
}

/** What production code does: DescribeCluster, clusterAccess, a token per request, the https transport. */
async function productionClient(token: () => string = () => eksToken({ clusterName: 'prod-eks', region: 'us-west-2', credentials: CREDENTIALS }).token): Promise<KubernetesClient> {
  const eks = new EKSClient({ region: 'us-west-2' });
  const access = await clusterAccess(async (name) => (await eks.send(new DescribeClusterCommand({ name }))).cluster ?? {}, 'prod-eks');
  return new KubernetesClient(httpsTransport({ endpoint: access.endpoint, caData: access.caData, token }));
}

const advance = (c: SimulatedClock, ms: number) => c.drive(new Promise<void>((resolve) => setTimeout(resolve, ms)));

describe('simulated cluster endpoint over node:https', () => {
  it('serves the scenario\'s nodes to a client built the production way, and traces every call as Kubernetes', async () => {
    const account = setup();
    const client = await productionClient();
    const nodes = await client.listNodes();
    const ids = account.instances('ng-win-a').map((i) => i.instanceId);
    expect(nodes.map((n) => n.spec.providerID?.split('/').pop()).sort()).toEqual([...ids].sort());
    expect(nodes.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true);
    expect(nodes[0]?.metadata.labels).toMatchObject({ 'node.kubernetes.io/windows-build': '10.0.20348', 'kubernetes.io/os': 'windows' });
    expect(calls.map((c) => [c.service, c.operation])).toEqual([
      ['EKS', 'DescribeCluster'],
      ['Kubernetes', 'ListNodes'],
    ]);
    expect(calls[1]).toMatchObject({ input: { path: '/api/v1/nodes?limit=500' } });
    expect(calls[1]?.error).toBeUndefined();
  });

  it('drains a node end to end: cordon, evictions (PDB 429 then 201) and the trace', async () => {
    const account = setup();
    const client = await productionClient();
    const [first, second] = account.instances('ng-win-a').map((i) => i.instanceId);
    const deadline = clock!.now() + 30 * 60_000;
    const a = await drainStep(client, startDrain(first!, clock!.now()), clock!.now(), deadline);
    expect(a).toMatchObject({ state: 'draining' });
    expect(a.evictedNow).toHaveLength(1);
    const b = await drainStep(client, startDrain(second!, clock!.now()), clock!.now(), deadline);
    expect(b.blocked).toEqual([expect.objectContaining({ pdb: 'web-pdb' })]);
    expect(calls.filter((c) => c.operation === 'CreateEviction').map((c) => c.error)).toEqual([undefined, 'TooManyRequests']);
    expect(calls.find((c) => c.operation === 'PatchNode')?.input).toMatchObject({ body: { spec: { unschedulable: true } } });
    await advance(clock!, 60_000);
    const done = await drainStep(client, a.progress, clock!.now(), deadline);
    expect(done.state).toBe('drained');
    expect(account.clusters().get('prod-eks')!.deletedWithoutEviction()).toEqual([]);
  });

  it('answers 401 to an expired, future or malformed token, and to a role without an access entry', async () => {
    setup();
    const minted = clock!.now();
    const token = eksToken({ clusterName: 'prod-eks', region: 'us-west-2', credentials: CREDENTIALS, date: new Date(minted) }).token;
    const client = await productionClient(() => token);
    expect(await client.listNodes()).toHaveLength(3);
    await advance(clock!, 15 * 60_000 + 1000);
    await expect(client.listNodes()).rejects.toThrow(KubernetesUnauthorizedError);
    expect(calls.at(-1)).toMatchObject({ service: 'Kubernetes', operation: 'ListNodes', error: 'Unauthorized' });
    const future = eksToken({ clusterName: 'prod-eks', region: 'us-west-2', credentials: CREDENTIALS, date: new Date(clock!.now() + 60_000) }).token;
    await expect((await productionClient(() => future)).listNodes()).rejects.toThrow(KubernetesUnauthorizedError);
    await expect((await productionClient(() => 'not-a-token')).listNodes()).rejects.toThrow(/the cluster refused the token/);
  });

  it('answers 401 without an access entry or under CONFIG_MAP, and 403 when the RBAC manifest is not applied', async () => {
    setup({ accessEntry: false });
    await expect((await productionClient()).listNodes()).rejects.toThrow(KubernetesUnauthorizedError);
    sim?.restore();
    clock?.uninstall();
    setup({ authenticationMode: 'CONFIG_MAP' });
    const eks = new EKSClient({ region: 'us-west-2' });
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'prod-eks' }));
    const client = new KubernetesClient(httpsTransport({ endpoint: cluster?.endpoint ?? '', caData: cluster?.certificateAuthority?.data ?? '', token: () => eksToken({ clusterName: 'prod-eks', region: 'us-west-2', credentials: CREDENTIALS }).token }));
    await expect(client.listNodes()).rejects.toThrow(KubernetesUnauthorizedError);
    sim?.restore();
    clock?.uninstall();
    const account = setup({ rbacApplied: false });
    const c = await productionClient();
    await expect(c.listNodes()).rejects.toThrow(KubernetesForbiddenError);
    await expect(c.cordonNode('anything')).rejects.toThrow(/kubectl apply -f resources\/kubernetes-rbac.yaml/);
    expect(calls.filter((k) => k.service === 'Kubernetes').map((k) => k.error)).toEqual(['Forbidden', 'Forbidden']);
    expect([...account.clusters().get('prod-eks')!.nodes.values()].some((n) => n.unschedulable)).toBe(false);
  });

  it('checks the signature of known access keys, so a token minted for another cluster is refused', async () => {
    setup({}, true);
    expect(await (await productionClient()).listNodes()).toHaveLength(3);
    const other = () => eksToken({ clusterName: 'staging-eks', region: 'us-west-2', credentials: CREDENTIALS }).token;
    await expect((await productionClient(other)).listNodes()).rejects.toThrow(KubernetesUnauthorizedError);
    const forged = () => eksToken({ clusterName: 'prod-eks', region: 'us-west-2', credentials: { ...CREDENTIALS, secretAccessKey: 'guessed' } }).token;
    await expect((await productionClient(forged)).listNodes()).rejects.toThrow(KubernetesUnauthorizedError);
  });

  it('leaves every other host to the real https.request, and restores it on uninstall', async () => {
    setup();
    expect(https.request).not.toBe(original);
    const err = await new Promise<Error & { code?: string }>((resolve) => {
      const req = https.request({ hostname: '127.0.0.1', port: 1, path: '/', method: 'GET' }, () => resolve(new Error('answered')));
      req.on('error', resolve);
      req.end();
    });
    expect(err.code).toBe('ECONNREFUSED');
    sim?.restore();
    sim = undefined;
    expect(https.request).toBe(original);
  });
});

describe('bearer token checks (aws-iam-authenticator\'s verifier)', () => {
  const date = new Date('2026-12-08T18:00:00Z');
  const now = date.getTime() + 60_000;
  const good = eksToken({ clusterName: 'prod-eks', region: 'us-west-2', credentials: CREDENTIALS, date }).token;
  const reencode = (edit: (u: URL) => void) => {
    const url = new URL(Buffer.from(good.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
    edit(url);
    return `Bearer ${TOKEN_PREFIX}${Buffer.from(url.toString()).toString('base64url')}`;
  };

  it('accepts what lib/kubernetes/token.ts mints, for 15 minutes from X-Amz-Date', () => {
    expect(tokenProblem(`Bearer ${good}`, now)).toBeUndefined();
    expect(tokenProblem(`Bearer ${good}`, date.getTime() + 15 * 60_000)).toBeUndefined();
    expect(tokenProblem(`Bearer ${good}`, date.getTime() + 15 * 60_000 + 1)).toMatch(/expired/);
    expect(tokenProblem(`Bearer ${good}`, date.getTime() - 1)).toMatch(/future/);
  });

  it('recomputes the signature when the access key is known, with the session token', () => {
    const check = { clusterName: 'prod-eks', secretOf: (id: string) => (id === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined) };
    const session = eksToken({ clusterName: 'prod-eks', region: 'eu-west-1', credentials: { ...CREDENTIALS, sessionToken: 'FwoGZXIvYXdzE+/=' }, date }).token;
    expect(tokenProblem(`Bearer ${session}`, now, check)).toBeUndefined();
    expect(tokenProblem(`Bearer ${good}`, now, { ...check, clusterName: 'staging-eks' })).toMatch(/signature does not match .*another cluster than staging-eks/);
    expect(tokenProblem(reencode((u) => u.searchParams.set('X-Amz-Date', '20261208T180001Z')), now, check)).toMatch(/signature does not match/);
    // An unknown key: shape only.
    expect(tokenProblem(`Bearer ${good}`, now, { clusterName: 'staging-eks', secretOf: () => undefined })).toBeUndefined();
  });

  it('refuses tokens of the wrong shape', () => {
    expect(tokenProblem(undefined, now)).toBe('no bearer token');
    expect(tokenProblem(`Bearer ${good.replace('k8s-aws-v1.', 'k8s-aws-v2.')}`, now)).toMatch(/k8s-aws-v1/);
    expect(tokenProblem(`Bearer ${good}==`, now)).toMatch(/base64url/);
    expect(tokenProblem(reencode((u) => u.searchParams.set('X-Amz-SignedHeaders', 'host')), now)).toMatch(/x-k8s-aws-id/);
    expect(tokenProblem(reencode((u) => u.searchParams.set('Action', 'AssumeRole')), now)).toMatch(/GetCallerIdentity/);
    expect(tokenProblem(reencode((u) => (u.hostname = 'sts.evil.example.com')), now)).toMatch(/not an STS endpoint/);
    expect(tokenProblem(reencode((u) => u.searchParams.set('X-Amz-Expires', '3600')), now)).toMatch(/X-Amz-Expires/);
    expect(tokenProblem(reencode((u) => u.searchParams.set('Extra', '1')), now)).toMatch(/not allowed/);
    expect(tokenProblem(reencode((u) => u.searchParams.set('X-Amz-Signature', 'abc')), now)).toMatch(/signature/);
  });
});
