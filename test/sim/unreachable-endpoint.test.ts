import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterAccess } from '../../lib/eks/cluster.js';
import { KubernetesClient } from '../../lib/kubernetes/client.js';
import { httpsTransport } from '../../lib/kubernetes/https.js';
import { eksToken } from '../../lib/kubernetes/token.js';
import { installClock, type SimulatedClock } from '../../local/clock.js';
import { installSimulation, type CallRecord } from '../../local/sim/install.js';
import { CREDENTIALS, eksAccount, START_ISO } from './eks-fixture.js';

/** A cluster whose API server endpoint never answers (apiReachable: false), as node:https sees it. */
let clock: SimulatedClock | undefined;
let sim: { restore(): void } | undefined;
let calls: CallRecord[] = [];

afterEach(() => {
  sim?.restore();
  clock?.uninstall();
  sim = clock = undefined;
});

async function setup(): Promise<{ clock: SimulatedClock; endpoint: string; caData: string }> {
  const c = installClock(START_ISO);
  clock = c;
  calls = [];
  sim = installSimulation(eksAccount({ apiReachable: false, status: 'ACTIVE' }), { onCall: (r) => calls.push(r) });
  const eks = new EKSClient({ region: 'us-west-2' });
  const access = await clusterAccess(async (name) => (await eks.send(new DescribeClusterCommand({ name }))).cluster ?? {}, 'prod-eks');
  return { clock: c, endpoint: access.endpoint, caData: access.caData };
}

describe('an unreachable cluster endpoint', () => {
  it("times out after the request's timeout through the production transport, and is traced as one failed call", async () => {
    const { clock: c, endpoint, caData } = await setup();
    const token = () => eksToken({ clusterName: 'prod-eks', region: 'us-west-2', credentials: CREDENTIALS }).token;
    const client = new KubernetesClient(httpsTransport({ endpoint, caData, token, timeoutMs: 10_000 }));
    const started = Date.now();
    const failure = await c.drive(client.listNodes().then(() => undefined, (e: unknown) => e as Error));

    expect(failure?.message).toContain('timed out');
    expect(Date.now() - started).toBe(10_000);
    expect(calls.filter((r) => r.service === 'Kubernetes').map((r) => [r.operation, r.error])).toEqual([['ListNodes', 'Timeout']]);
  });

  it('without a timeout, fails the connect with ETIMEDOUT after the kernel gives up (127 s)', async () => {
    const { clock: c, endpoint } = await setup();
    const started = Date.now();
    const error = await c.drive(
      new Promise<NodeJS.ErrnoException>((resolve, reject) => {
        const req = https.request({ hostname: new URL(endpoint).hostname, path: '/api/v1/nodes', method: 'GET' }, () => reject(new Error('answered')));
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e));
        req.end();
      }),
    );

    expect(error).toMatchObject({ code: 'ETIMEDOUT', syscall: 'connect' });
    expect(error.message).toMatch(/^connect ETIMEDOUT 10\.\d+\.\d+\.\d+:443$/);
    expect(Date.now() - started).toBe(127_000);
    expect(calls.filter((r) => r.service === 'Kubernetes').map((r) => r.error)).toEqual(['ETIMEDOUT']);
  });
});
