import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubernetesClient } from '../../lib/kubernetes/client.js';
import { simulatedCluster, type AmiFacts, type RbacRule } from '../../local/sim/kubernetes/index.js';

export const START = Date.parse('2026-12-08T18:00:00Z');
export const AMI_OLD = 'ami-0123456789abcdef0';
export const AMI_NEW = 'ami-0fedcba9876543210';

export function facts(asgName: string, amiId = AMI_OLD, extra: Partial<AmiFacts> = {}): AmiFacts {
  return {
    amiId,
    asgName,
    windowsBuild: '10.0.20348',
    kubeletVersion: 'v1.31.4-eks-1a2b3c4',
    labels: { os: 'windows', 'eks-windows-patch/group': asgName },
    taints: [{ key: 'os', value: 'windows', effect: 'NoSchedule' }],
    ...extra,
  };
}

export function rbacRules(): RbacRule[] {
  const docs = parseAllDocuments(readFileSync(resolve(import.meta.dirname, '../../resources/kubernetes-rbac.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; rules?: RbacRule[] });
  return docs.find((d) => d.kind === 'ClusterRole')?.rules ?? [];
}

/** A cluster at START+10 min with `nodes` Ready nodes in win-a, the workloads started, and a client on its API (RBAC enforced). */
export function cluster(options: { nodes?: number; workloads?: unknown[]; faults?: unknown[] } = {}) {
  let now = START;
  const sim = simulatedCluster({ name: 'prod-windows', now: () => now, workloads: options.workloads ?? [], faults: options.faults ?? [], rbac: rbacRules() });
  const instances = Array.from({ length: options.nodes ?? 3 }, (_, i) => `i-0aaaaaaaaaaaaaa0${i}`);
  for (const id of instances) sim.cluster.registerNode(id, facts('win-a'), START);
  now = START + 5 * 60_000;
  sim.cluster.startWorkloads(now);
  now = START + 10 * 60_000;
  return {
    ...sim,
    instances,
    client: new KubernetesClient(sim.api.request),
    now: () => now,
    advance: (seconds: number) => {
      now += seconds * 1000;
      sim.cluster.settle(now);
      return now;
    },
  };
}
