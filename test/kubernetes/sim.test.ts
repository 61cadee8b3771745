import { describe, expect, it } from 'vitest';
import { KubernetesClient, KubernetesForbiddenError } from '../../lib/kubernetes/client.js';
import { drainStep, startDrain } from '../../lib/kubernetes/drain.js';
import { expectationFor, gateVerdict } from '../../lib/kubernetes/gate.js';
import { simulatedCluster } from '../../local/sim/kubernetes/index.js';
import { AMI_NEW, cluster, facts, rbacRules, START } from './support.js';

const web = (pdb: Record<string, unknown> = { minAvailable: 2 }) => ({ name: 'web', kind: 'Deployment', replicas: 3, nodeGroup: 'win-a', pdb, terminationGracePeriodSeconds: 30 });
const agent = { name: 'log-agent', kind: 'DaemonSet', nodeGroup: 'win-a' };
const webPodOn = (c: ReturnType<typeof cluster>, node: string) => [...c.cluster.pods.values()].find((p) => p.workload === 'web' && p.nodeName === node && p.deleteAt === undefined);
const nodeOf = (c: ReturnType<typeof cluster>, i: number) => [...c.cluster.nodes.values()].find((n) => n.instanceId === c.instances[i])?.name ?? '';

describe('simulated cluster: eviction and PodDisruptionBudgets', () => {
  it('evicts the drained node\'s pod and answers 429 to a second eviction elsewhere until the replacement is Ready (minAvailable 2, 3 replicas, 3 nodes)', async () => {
    const c = cluster({ workloads: [web(), agent] });
    const [n0, n1] = [nodeOf(c, 0), nodeOf(c, 1)];
    expect(c.cluster.budget(c.cluster.workloads[0]!)).toMatchObject({ healthy: 3, desired: 2, allowed: 1 });

    const first = await drainStep(c.client, startDrain(c.instances[0]!, c.now()), c.now(), c.now() + 30 * 60_000);
    expect(first.state).toBe('draining');
    expect(first.evictedNow).toHaveLength(1);
    expect(first.skipped).toEqual([{ pod: expect.objectContaining({ name: expect.stringMatching(/^log-agent-/) }), reason: 'DaemonSet' }]);
    expect(c.cluster.nodes.get(n0)?.unschedulable).toBe(true);

    const other = webPodOn(c, n1);
    expect(await c.client.evictPod('default', other!.name)).toEqual({
      outcome: 'blocked',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      pdbName: 'web-pdb',
    });
    c.advance(50); // replacement created after 2 s, bound to a Ready uncordoned node, Ready 45 s later, seen by the budget 5 s after that
    expect((await c.client.evictPod('default', other!.name)).outcome).toBe('blocked');
    c.advance(3);
    const replacement = [...c.cluster.pods.values()].find((p) => p.workload === 'web' && p.createdAt > START + 10 * 60_000);
    expect(replacement?.nodeName).not.toBe(n0);
    expect(await c.client.evictPod('default', other!.name)).toEqual({ outcome: 'evicted' });

    const done = await drainStep(c.client, first.progress, c.now(), c.now() + 30 * 60_000);
    expect(done.state).toBe('drained');
    expect([...c.cluster.pods.values()].filter((p) => p.nodeName === n0).map((p) => p.workload)).toEqual(['log-agent']);
    expect(c.cluster.deletedWithoutEviction()).toEqual([]);
    expect(c.cluster.events.filter((e) => e.kind === 'pdbViolated')).toEqual([]);
    expect(c.api.calls.filter((k) => k.operation === 'CreateEviction').map((k) => k.status)).toEqual([201, 429, 429, 201]);
  });

  it('never evicts DaemonSet pods: a node with only those is drained without an eviction call', async () => {
    const c = cluster({ workloads: [agent] });
    const r = await drainStep(c.client, startDrain(c.instances[2]!, c.now()), c.now(), c.now() + 60_000);
    expect(r.state).toBe('drained');
    expect(c.api.calls.map((k) => k.operation)).toEqual(['ListNodes', 'PatchNode', 'ListPods']);
    expect([...c.cluster.pods.values()].filter((p) => p.nodeName === nodeOf(c, 2))).toHaveLength(1);
  });

  it('answers 429 forever for an evictionBlocked budget, even with disruptions to spare', async () => {
    const c = cluster({ workloads: [web({ maxUnavailable: 2 })], faults: [{ kind: 'evictionBlocked', pdb: 'web-pdb' }] });
    const pod = webPodOn(c, nodeOf(c, 0))!;
    for (let i = 0; i < 5; i++) {
      expect(await c.client.evictPod('default', pod.name)).toMatchObject({ outcome: 'blocked', pdbName: 'web-pdb' });
      c.advance(600);
    }
    expect(c.cluster.pods.has(`default/${pod.name}`)).toBe(true);
  });

  it('deletes a pod only after its terminationGracePeriodSeconds', async () => {
    const c = cluster({ workloads: [web()] });
    const pod = webPodOn(c, nodeOf(c, 0))!;
    await c.client.evictPod('default', pod.name);
    c.advance(29);
    expect(c.cluster.pods.has(`default/${pod.name}`)).toBe(true);
    c.advance(1);
    expect(c.cluster.pods.has(`default/${pod.name}`)).toBe(false);
  });

  it('counts pods killed with their node as deleted without eviction, and the budget it breaks', () => {
    const c = cluster({ workloads: [web({ minAvailable: 3 }), agent] });
    c.cluster.removeNode(c.instances[1]!, c.now());
    expect(c.cluster.deletedWithoutEviction()).toEqual([expect.stringMatching(/^default\/web-/)]);
    expect(c.cluster.events.filter((e) => e.kind === 'pdbViolated')).toEqual([expect.objectContaining({ pdb: 'web-pdb', healthy: 2, desired: 3 })]);
  });

  it('refuses a second budget over the same pod with 500, as the eviction subresource does', async () => {
    const c = cluster({ workloads: [web()] });
    c.cluster.workloads.push({ ...c.cluster.workloads[0]! });
    const pod = webPodOn(c, nodeOf(c, 0))!;
    expect(await c.client.evictPod('default', pod.name)).toMatchObject({ outcome: 'misconfigured', message: expect.stringContaining('more than one PodDisruptionBudget') });
  });
});

describe('simulated cluster: node registration and faults', () => {
  const expected = expectationFor({ windows: '2022', kubernetes: '1.31' }, []);

  it('registers a launched instance as a Node that turns Ready after the modelled time, and the gate continues', async () => {
    const c = cluster();
    c.cluster.registerNode('i-0bbbbbbbbbbbbbb01', facts('win-a', AMI_NEW), c.now());
    const check = async () => gateVerdict({ instanceId: 'i-0bbbbbbbbbbbbbb01', nodes: await c.client.listNodes(), expected, now: c.now(), deadline: c.now() + 15 * 60_000 });
    expect((await check()).verdict).toBe('wait');
    c.advance(90);
    expect(await check()).toMatchObject({ verdict: 'continue' });
  });

  it('nodesNeverReady keeps the new node NotReady, and the gate abandons at its deadline', async () => {
    const c = cluster({ faults: [{ kind: 'nodesNeverReady', amiId: AMI_NEW }] });
    c.cluster.registerNode('i-0bbbbbbbbbbbbbb01', facts('win-a', AMI_NEW), c.now());
    const deadline = c.now() + 15 * 60_000;
    c.advance(15 * 60);
    const v = gateVerdict({ instanceId: 'i-0bbbbbbbbbbbbbb01', nodes: await c.client.listNodes(), expected, now: c.now(), deadline });
    expect(v).toMatchObject({ verdict: 'abandon', reason: expect.stringContaining('is not Ready (False: KubeletNotReady) at the deadline') });
  });

  it('nodesNeverReady in neverRegister mode leaves no Node at all', () => {
    const c = cluster({ faults: [{ kind: 'nodesNeverReady', amiId: AMI_NEW, mode: 'neverRegister' }] });
    expect(c.cluster.registerNode('i-0bbbbbbbbbbbbbb01', facts('win-a', AMI_NEW), c.now())).toBeUndefined();
    expect(c.cluster.nodes.size).toBe(3);
  });

  it('wrongWindowsBuild labels the node with another build, and the gate abandons at once', async () => {
    const c = cluster({ faults: [{ kind: 'wrongWindowsBuild', amiId: AMI_NEW }] });
    c.cluster.registerNode('i-0bbbbbbbbbbbbbb01', facts('win-a', AMI_NEW), c.now());
    const v = gateVerdict({ instanceId: 'i-0bbbbbbbbbbbbbb01', nodes: await c.client.listNodes(), expected, now: c.now(), deadline: c.now() + 15 * 60_000 });
    expect(v).toMatchObject({ verdict: 'abandon', reason: expect.stringContaining('Windows build 10.0.17763') });
  });
});

describe('simulated cluster: API strictness', () => {
  it('answers 403 to a verb the ClusterRole does not grant, and the client names the manifest to apply', async () => {
    let now = START;
    const rules = rbacRules().filter((r) => !r.resources.includes('nodes'));
    const { cluster: sim, api } = simulatedCluster({ name: 'prod-windows', now: () => now, rbac: rules });
    sim.registerNode('i-0aaaaaaaaaaaaaa01', facts('win-a'), now);
    now += 1000;
    const client = new KubernetesClient(api.request);
    await expect(client.listNodes()).rejects.toThrow(KubernetesForbiddenError);
    await expect(client.listNodes()).rejects.toThrow(/kubectl apply -f resources\/kubernetes-rbac.yaml/);
  });

  it('pages node lists with limit and continue, and the client follows every page', async () => {
    let now = START;
    const { cluster: sim, api } = simulatedCluster({ name: 'big', now: () => now });
    for (let i = 0; i < 501; i++) sim.registerNode(`i-0${String(i).padStart(16, '0')}`, facts('win-a'), now);
    now += 1000;
    expect(await new KubernetesClient(api.request).listNodes()).toHaveLength(501);
    expect(api.calls.map((k) => k.path)).toEqual(['/api/v1/nodes?limit=500', '/api/v1/nodes?limit=500&continue=500']);
  });

  it('refuses a cordon sent as plain JSON with 415, as the API server does for PATCH', async () => {
    const c = cluster();
    const res = await c.api.request('PATCH', `/api/v1/nodes/${nodeOf(c, 0)}`, { spec: { unschedulable: true } }, 'application/json');
    expect(res.status).toBe(415);
    expect(c.cluster.nodes.get(nodeOf(c, 0))?.unschedulable).toBe(false);
  });
});
