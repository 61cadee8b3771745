import { describe, expect, it } from 'vitest';
import { KubernetesClient, type KubernetesTransport } from '../../lib/kubernetes/client.js';
import { blockedBackoffSeconds, drainStep, skipReason, startDrain, terminatingWaitSeconds } from '../../lib/kubernetes/drain.js';
import type { Pod } from '../../lib/kubernetes/types.js';
import { cluster } from './support.js';

const pod = (name: string, meta: Partial<Pod['metadata']> = {}): Pod => ({ metadata: { name, namespace: 'default', ...meta }, spec: { nodeName: 'n1' } });

describe('which pods a drain evicts', () => {
  it('leaves DaemonSet-owned and mirror pods, evicts the rest (unowned pods too)', () => {
    expect(skipReason(pod('ds', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', controller: true }] }))).toBe('DaemonSet');
    expect(skipReason(pod('static', { annotations: { 'kubernetes.io/config.mirror': 'abc' } }))).toBe('mirror');
    expect(skipReason(pod('web', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', controller: true }] }))).toBeUndefined();
    expect(skipReason(pod('bare'))).toBeUndefined();
    // An owner that is a DaemonSet but not the controller does not recreate the pod.
    expect(skipReason(pod('odd', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent' }] }))).toBeUndefined();
  });
});

describe('drain waits', () => {
  it('backs off 5, 10, 20, 40, then 60 s after refused evictions, a Retry-After being a floor', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => blockedBackoffSeconds(n))).toEqual([5, 10, 20, 40, 60, 60]);
    expect(blockedBackoffSeconds(1, 30)).toBe(30);
  });

  it('waits for terminating pods until the earliest deletionTimestamp, between 5 and 60 s', () => {
    const now = Date.parse('2026-12-08T18:00:00Z');
    expect(terminatingWaitSeconds([pod('a', { deletionTimestamp: '2026-12-08T18:00:30Z' }), pod('b', { deletionTimestamp: '2026-12-08T18:00:12Z' })], now)).toBe(12);
    expect(terminatingWaitSeconds([pod('a', { deletionTimestamp: '2026-12-08T18:10:00Z' })], now)).toBe(60);
    expect(terminatingWaitSeconds([pod('a', { deletionTimestamp: '2026-12-08T17:59:00Z' })], now)).toBe(5);
  });
});

describe('drainStep', () => {
  it('drains a node over several passes, each a single call with no sleeping, until only DaemonSet pods remain', async () => {
    const c = cluster({ workloads: [{ name: 'web', kind: 'Deployment', replicas: 3, nodeGroup: 'win-a', pdb: { minAvailable: 2 } }, { name: 'agent', kind: 'DaemonSet', nodeGroup: 'win-a' }] });
    let progress = startDrain(c.instances[0]!, c.now());
    const deadline = c.now() + 30 * 60_000;
    const states: string[] = [];
    for (let pass = 0; pass < 20; pass++) {
      const r = await drainStep(c.client, progress, c.now(), deadline);
      states.push(r.state);
      progress = r.progress;
      if (r.state !== 'draining') break;
      c.advance(r.waitSeconds);
    }
    expect(states.at(-1)).toBe('drained');
    expect(progress.evicted).toHaveLength(1);
    expect(c.cluster.deletedWithoutEviction()).toEqual([]);
    expect(c.api.calls.filter((k) => k.operation === 'PatchNode')).toHaveLength(1);
  });

  it('reports the pod and the PDB that held it when the deadline passes, leaving the pod in place', async () => {
    const c = cluster({ workloads: [{ name: 'web', kind: 'Deployment', replicas: 3, nodeGroup: 'win-a', pdb: { minAvailable: 1 } }], faults: [{ kind: 'evictionBlocked', pdb: 'web-pdb' }] });
    let progress = startDrain(c.instances[0]!, c.now());
    const deadline = c.now() + 30 * 60_000;
    const waits: number[] = [];
    let last;
    for (let pass = 0; pass < 100; pass++) {
      last = await drainStep(c.client, progress, c.now(), deadline);
      progress = last.progress;
      if (last.state !== 'draining') break;
      waits.push(last.waitSeconds);
      c.advance(last.waitSeconds);
    }
    expect(waits.slice(0, 6)).toEqual([5, 10, 20, 40, 60, 60]);
    expect(last?.state).toBe('deadlineReached');
    expect(c.now()).toBe(deadline);
    expect(last?.blocked).toEqual([{ pod: { namespace: 'default', name: expect.stringMatching(/^web-/) }, pdb: 'web-pdb', message: expect.stringContaining('disruption budget') }]);
    expect(c.cluster.pods.size).toBe(3);
  });

  it('says nodeGone when no Node has the instance id, without cordoning anything', async () => {
    const c = cluster();
    const r = await drainStep(c.client, startDrain('i-0ffffffffffffff99', c.now()), c.now(), c.now() + 60_000);
    expect(r.state).toBe('nodeGone');
    expect(c.api.calls.map((k) => k.operation)).toEqual(['ListNodes']);
  });

  it('reports a 500 as a misconfigured budget set, naming every budget that selects the pod', async () => {
    const calls: string[] = [];
    const transport: KubernetesTransport = async (method, path) => {
      calls.push(`${method} ${path}`);
      if (path.startsWith('/api/v1/nodes?')) return { status: 200, body: { items: [{ metadata: { name: 'n1' }, spec: { providerID: 'aws:///us-west-2a/i-1', unschedulable: true } }] } };
      if (path.startsWith('/api/v1/pods?')) return { status: 200, body: { items: [pod('web-1', { labels: { app: 'web' } })] } };
      if (path.endsWith('/eviction')) return { status: 500, body: { kind: 'Status', code: 500, message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.' } };
      if (path.endsWith('/poddisruptionbudgets'))
        return { status: 200, body: { items: [{ metadata: { name: 'a' }, spec: { selector: { matchLabels: { app: 'web' } } } }, { metadata: { name: 'b' }, spec: { selector: {} } }, { metadata: { name: 'c' }, spec: { selector: { matchLabels: { app: 'db' } } } }] } };
      return { status: 404, body: {} };
    };
    const r = await drainStep(new KubernetesClient(transport), startDrain('i-1', 0), 0, 60_000);
    expect(r.misconfigured).toEqual([{ pod: { namespace: 'default', name: 'web-1' }, pdb: 'a, b', message: expect.stringContaining('more than one PodDisruptionBudget') }]);
    expect(r.state).toBe('draining');
    expect(calls.some((c) => c.startsWith('PATCH'))).toBe(false); // already cordoned
  });
});
