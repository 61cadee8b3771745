import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KUBERNETES_OPERATIONS } from '../../lib/kubernetes/client.js';
import { loadScenario, rehearse, type RehearsalReport } from '../support/rehearse.js';

/**
 * Least privilege in the cluster, proven like the IAM roles (test/deploy/iam.test.ts): rehearse the
 * scenarios that gate and drain nodes (a PodDisruptionBudget that slows the drain, nodes that never turn
 * Ready, evictions refused to the timeout), collect every Kubernetes API call the Lambdas made, and
 * compare the (apiGroup, resource, verb) they need with what resources/kubernetes-rbac.yaml's ClusterRole
 * grants: none missing, none unused.
 */
const SCENARIOS = ['kubernetes-pdb.yml', 'kubernetes-never-ready.yml', 'kubernetes-eviction-blocked.yml'];
const LABELS = [...SCENARIOS, 'kubernetes-pdb.yml with an overlapping PodDisruptionBudget'];

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const key = (apiGroup: string, resource: string, verb: string) => `${apiGroup || 'core'}/${resource}:${verb}`;

function granted(): Set<string> {
  const docs = parseAllDocuments(readFileSync('resources/kubernetes-rbac.yaml', 'utf8')).map((d) => d.toJS() as { kind?: string; rules?: Rule[] });
  const role = docs.find((d) => d.kind === 'ClusterRole');
  if (!role?.rules) throw new Error('resources/kubernetes-rbac.yaml has no ClusterRole with rules');
  return new Set(role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => key(g, res, v))))));
}

const reports: RehearsalReport[] = [];
const kubernetesCalls = () => reports.flatMap((r) => r.calls.filter((c) => c.service === 'Kubernetes'));

beforeAll(async () => {
  for (const file of SCENARIOS) reports.push(await rehearse(loadScenario(`local/scenarios/${file}`)));
  // A pod under two budgets: its eviction is refused with 500, and the drain lists the namespace's budgets to name them.
  const overlapping = loadScenario('local/scenarios/kubernetes-pdb.yml');
  overlapping.faults.push({ kind: 'overlappingPdb', workload: 'web', namespace: 'default' });
  reports.push(await rehearse(overlapping));
}, 300_000);

describe('the ClusterRole of resources/kubernetes-rbac.yaml', () => {
  it('was exercised: each scenario talked to its cluster', () => {
    for (const [i, r] of reports.entries()) expect(r.calls.filter((c) => c.service === 'Kubernetes').length, LABELS[i]).toBeGreaterThan(0);
    expect(reports).toHaveLength(LABELS.length);
  });

  it('knows every operation the Lambdas called (lib/kubernetes/client.ts KUBERNETES_OPERATIONS)', () => {
    const unknown = [...new Set(kubernetesCalls().map((c) => c.operation))].filter((op) => !(op in KUBERNETES_OPERATIONS));
    expect(unknown).toEqual([]);
  });

  it('was exercised on the overlapping budgets: the drain met the 500 and listed the budgets', () => {
    const calls = reports[3]?.calls.filter((c) => c.service === 'Kubernetes') ?? [];
    expect(calls.some((c) => c.operation === 'CreateEviction' && c.error === 'InternalError')).toBe(true);
    expect(calls.some((c) => c.operation === 'ListPodDisruptionBudgets' && !c.error)).toBe(true);
  });

  it('was never refused: no call was Forbidden (403) or Unauthorized (401)', () => {
    const refused = kubernetesCalls().filter((c) => c.error === 'Forbidden' || c.error === 'Unauthorized');
    expect(refused.map((c) => `${c.operation} ${(c.input as { path?: string }).path}: ${c.error}`)).toEqual([]);
  });

  it('grants exactly the (apiGroup, resource, verb) the rehearsed calls use: none missing, none unused', () => {
    const used = new Set(
      kubernetesCalls().flatMap((c) => {
        const op = KUBERNETES_OPERATIONS[c.operation as keyof typeof KUBERNETES_OPERATIONS] as (typeof KUBERNETES_OPERATIONS)[keyof typeof KUBERNETES_OPERATIONS] | undefined;
        return op ? [key(op.apiGroup, op.resource, op.verb)] : [];
      }),
    );
    expect([...granted()].sort()).toEqual([...used].sort());
  });
});
