import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { KUBERNETES_ACCESS, KUBERNETES_OPERATIONS } from '../../lib/kubernetes/client.js';
import { drainStep, startDrain } from '../../lib/kubernetes/drain.js';
import { expectationFor, gateVerdict } from '../../lib/kubernetes/gate.js';
import { cluster } from './support.js';

interface RbacDoc {
  kind: string;
  metadata?: { name?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  roleRef?: unknown;
  subjects?: unknown;
}
const docs = parseAllDocuments(readFileSync(resolve(import.meta.dirname, '../../resources/kubernetes-rbac.yaml'), 'utf8')).map((d) => d.toJS() as RbacDoc);
const role = docs.find((d) => d.kind === 'ClusterRole');
const binding = docs.find((d) => d.kind === 'ClusterRoleBinding');

type Grant = `${string}|${string}|${string}`;
const grants = (rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[]): Grant[] =>
  rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}|${res}|${v}` as Grant)))).sort();

describe('resources/kubernetes-rbac.yaml', () => {
  it('grants exactly the verbs and resources the Kubernetes client calls, no more and no fewer', () => {
    const used = grants(KUBERNETES_ACCESS.map((r) => ({ apiGroups: [r.apiGroup], resources: [r.resource], verbs: r.verbs })));
    expect(grants(role?.rules ?? [])).toEqual(used);
    expect(used).toContain('|pods/eviction|create');
  });

  it('never grants wildcards or pod deletion: pods leave through the Eviction API only', () => {
    const all = grants(role?.rules ?? []);
    expect(all.filter((g) => g.includes('*'))).toEqual([]);
    expect(all).not.toContain('|pods|delete');
  });

  it('binds the ClusterRole to the group the access entry maps the Lambda roles to', () => {
    expect(binding?.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role?.metadata?.name });
    expect(binding?.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'eks-windows-patch' }]);
  });

  it('derives one access rule per resource from the operations table', () => {
    expect(KUBERNETES_ACCESS.map((r) => `${r.apiGroup}/${r.resource}`)).toEqual([...new Set(Object.values(KUBERNETES_OPERATIONS).map((o) => `${o.apiGroup}/${o.resource}`))]);
  });
});

describe('the manifest against the simulated API server', () => {
  it('lets a full drain and a gate check through, each call one of the client operations, none refused', async () => {
    const c = cluster({ workloads: [{ name: 'web', kind: 'Deployment', replicas: 3, nodeGroup: 'win-a', pdb: { minAvailable: 2 } }] });
    c.cluster.workloads.push({ ...c.cluster.workloads[0]!, name: 'web' }); // two budgets over web: the 500 path lists budgets
    let progress = startDrain(c.instances[0]!, c.now());
    for (let pass = 0; pass < 3; pass++) {
      const r = await drainStep(c.client, progress, c.now(), c.now() + 60_000);
      progress = r.progress;
      c.advance(r.waitSeconds);
    }
    gateVerdict({ instanceId: c.instances[1]!, nodes: await c.client.listNodes(), expected: expectationFor({ windows: '2022', kubernetes: '1.31' }, []), now: c.now(), deadline: c.now() });
    const used = new Set(c.api.calls.map((k) => k.operation));
    expect([...used].sort()).toEqual(['CreateEviction', 'GetNode', 'ListNodes', 'ListPodDisruptionBudgets', 'ListPods', 'PatchNode']);
    expect([...used].every((op) => op in KUBERNETES_OPERATIONS)).toBe(true);
    expect(c.api.calls.filter((k) => k.status === 403)).toEqual([]);
  });
});
