import type { SimulatedCluster } from './cluster.js';
import { pdbName } from './cluster.js';
import type { SimNode, SimPod } from './model.js';

/**
 * The simulated cluster's Kubernetes API, at the HTTP level the production client speaks
 * (lib/kubernetes/client.ts takes `request` as its transport). Only the calls the
 * product makes are served; anything else is 404/405, so a new call has to be modelled
 * here before a rehearsal can pass. With `rbac`, a request the ClusterRole does not
 * grant is 403, as the real API server's authorizer answers.
 */
export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface ApiCall {
  at: number;
  /** As in --trace: the verb and resource ("CreateEviction", "PatchNode", "ListPods"). */
  operation: string;
  method: string;
  path: string;
  body?: unknown;
  status: number;
}

interface Response {
  status: number;
  body: unknown;
}

const status = (code: number, reason: string, message: string, details?: Record<string, unknown>): Response => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 300 ? 'Success' : 'Failure', message, reason, code, ...(details ? { details } : {}) },
});
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface Route {
  operation: string;
  apiGroup: string;
  resource: string;
  verb: string;
  params: string[];
}

// "API Concepts" › resource URIs: /api/v1/... for the core group, /apis/<group>/<version>/... for the others.
function route(method: string, pathname: string): Route | undefined {
  const table: [string, RegExp, Omit<Route, 'params'>][] = [
    ['GET', /^\/api\/v1\/nodes$/, { operation: 'ListNodes', apiGroup: '', resource: 'nodes', verb: 'list' }],
    ['GET', /^\/api\/v1\/nodes\/([^/]+)$/, { operation: 'GetNode', apiGroup: '', resource: 'nodes', verb: 'get' }],
    ['PATCH', /^\/api\/v1\/nodes\/([^/]+)$/, { operation: 'PatchNode', apiGroup: '', resource: 'nodes', verb: 'patch' }],
    ['GET', /^\/api\/v1\/pods$/, { operation: 'ListPods', apiGroup: '', resource: 'pods', verb: 'list' }],
    ['GET', /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/, { operation: 'GetPod', apiGroup: '', resource: 'pods', verb: 'get' }],
    ['POST', /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/, { operation: 'CreateEviction', apiGroup: '', resource: 'pods/eviction', verb: 'create' }],
    ['GET', /^\/apis\/policy\/v1\/namespaces\/([^/]+)\/poddisruptionbudgets$/, { operation: 'ListPodDisruptionBudgets', apiGroup: 'policy', resource: 'poddisruptionbudgets', verb: 'list' }],
  ];
  for (const [m, re, r] of table) {
    const match = re.exec(pathname);
    if (match && m === method) return { ...r, params: match.slice(1).map(decodeURIComponent) };
  }
  return undefined;
}

/** The operation name a request is recorded under ("ListNodes", "CreateEviction"…; "<METHOD> <path>" when not modelled). */
export function operationFor(method: string, path: string): string {
  const url = new URL(path, 'https://simulated.eks.amazonaws.com');
  return route(method, url.pathname)?.operation ?? `${method} ${url.pathname}`;
}

export class KubernetesApi {
  readonly calls: ApiCall[] = [];
  constructor(
    readonly cluster: SimulatedCluster,
    private readonly rbac?: RbacRule[],
  ) {}

  /** The transport for KubernetesClient: `new KubernetesClient(api.request)`. */
  readonly request = async (method: string, path: string, body?: unknown, contentType?: string): Promise<Response> => {
    const url = new URL(path, 'https://simulated.eks.amazonaws.com');
    const r = route(method, url.pathname);
    const res = this.serve(method, url, r, body, contentType);
    this.calls.push({ at: this.cluster.now(), operation: r?.operation ?? `${method} ${url.pathname}`, method, path, ...(body === undefined ? {} : { body }), status: res.status });
    return structuredClone(res);
  };

  /** A request refused before it reaches the API (authentication: 401), recorded like the others. */
  refuse(method: string, path: string, body: unknown, code: number, reason: string, message: string): Response {
    const res = status(code, reason, message);
    this.calls.push({ at: this.cluster.now(), operation: operationFor(method, path), method, path, ...(body === undefined ? {} : { body }), status: res.status });
    return res;
  }

  private serve(method: string, url: URL, r: Route | undefined, body: unknown, contentType: string | undefined): Response {
    if (!r) return status(404, 'NotFound', `the server could not find the requested resource (${method} ${url.pathname})`);
    if (this.rbac && !this.rbac.some((rule) => rule.apiGroups.includes(r.apiGroup) && rule.resources.includes(r.resource) && rule.verbs.includes(r.verb)))
      return status(403, 'Forbidden', `${r.resource} is forbidden: User "eks-windows-patch" cannot ${r.verb} resource "${r.resource}" in API group "${r.apiGroup}"`);
    const c = this.cluster;
    c.settle();
    const [a = '', b = ''] = r.params;
    switch (r.operation) {
      case 'ListNodes':
        return this.page(url, [...c.nodes.values()].sort((x, y) => x.name.localeCompare(y.name)).map((n) => this.node(n)), 'NodeList');
      case 'GetNode': {
        const n = c.nodes.get(a);
        return n ? { status: 200, body: this.node(n) } : status(404, 'NotFound', `nodes "${a}" not found`);
      }
      case 'PatchNode':
        return this.patchNode(a, body, contentType);
      case 'ListPods': {
        const selector = url.searchParams.get('fieldSelector') ?? '';
        const m = /^spec\.nodeName=(.+)$/.exec(selector);
        if (selector && !m) return status(400, 'BadRequest', `field label not supported: ${selector}`);
        const pods = [...c.pods.values()].filter((p) => !m || p.nodeName === m[1]).sort((x, y) => `${x.namespace}/${x.name}`.localeCompare(`${y.namespace}/${y.name}`));
        return this.page(url, pods.map((p) => this.pod(p)), 'PodList');
      }
      case 'GetPod': {
        const p = c.pods.get(`${a}/${b}`);
        return p ? { status: 200, body: this.pod(p) } : status(404, 'NotFound', `pods "${b}" not found`);
      }
      case 'CreateEviction':
        return this.evict(a, b, body);
      case 'ListPodDisruptionBudgets':
        return {
          status: 200,
          body: {
            kind: 'PodDisruptionBudgetList',
            metadata: {},
            items: c.workloads.filter((w) => w.pdb && w.namespace === a).flatMap((w) => {
              const s = c.budget(w);
              // An overlapping budget (fault overlappingPdb) is shown with the workload's own spec and status (knowingly simplified).
              return [pdbName(w), ...[c.overlapOf(w)].filter((n): n is string => n !== undefined)].map((name) => ({
                metadata: { name, namespace: w.namespace },
                spec: { selector: { matchLabels: { app: w.name } }, ...w.pdb },
                status: { currentHealthy: s.healthy, desiredHealthy: s.desired, expectedPods: s.expected, disruptionsAllowed: c.isBlocked(w) ? 0 : s.allowed },
              }));
            }),
          },
        };
    }
    return status(405, 'MethodNotAllowed', `${method} ${url.pathname} is not modelled`);
  }

  // "API Concepts" › Retrieving large results sets in chunks: limit and continue.
  private page(url: URL, items: unknown[], kind: string): Response {
    const limit = Number(url.searchParams.get('limit') ?? 0) || items.length || 1;
    const start = Number(url.searchParams.get('continue') ?? 0);
    const slice = items.slice(start, start + limit);
    const more = start + limit < items.length;
    return { status: 200, body: { kind, metadata: more ? { continue: String(start + limit) } : {}, items: slice } };
  }

  // `kubectl cordon` = merge patch of spec.unschedulable; the node controller adds the unschedulable taint
  // ("Well-Known Labels, Annotations and Taints": node.kubernetes.io/unschedulable).
  private patchNode(name: string, body: unknown, contentType: string | undefined): Response {
    if (contentType !== 'application/merge-patch+json' && contentType !== 'application/strategic-merge-patch+json')
      return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
    const node = this.cluster.nodes.get(name);
    if (!node) return status(404, 'NotFound', `nodes "${name}" not found`);
    const spec = (body as { spec?: { unschedulable?: unknown } } | undefined)?.spec;
    const keys = Object.keys((body as object | undefined) ?? {});
    if (keys.some((k) => k !== 'spec') || Object.keys(spec ?? {}).some((k) => k !== 'unschedulable') || typeof spec?.unschedulable !== 'boolean')
      return status(422, 'Invalid', 'only spec.unschedulable patches are modelled');
    if (spec.unschedulable && !node.unschedulable) this.cluster.events.push({ at: this.cluster.now(), kind: 'cordoned', node: name });
    node.unschedulable = spec.unschedulable;
    node.taints = node.taints.filter((t) => t.key !== 'node.kubernetes.io/unschedulable');
    if (node.unschedulable) node.taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
    return { status: 200, body: this.node(node) };
  }

  // "API-initiated Eviction" (kubernetes.io) and kube-apiserver's eviction subresource:
  // 201 when allowed, 429 with a DisruptionBudget cause when a budget has no disruption left,
  // 500 when the pod matches several budgets; a terminating pod's eviction succeeds; pods not
  // Running skip the budget; Running-but-unready pods go only while the budget is met (IfHealthyBudget).
  private evict(namespace: string, name: string, body: unknown): Response {
    const c = this.cluster;
    const e = body as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | undefined;
    if (e?.apiVersion !== 'policy/v1' || e.kind !== 'Eviction') return status(400, 'BadRequest', 'the body must be a policy/v1 Eviction');
    if (e.metadata?.name !== name) return status(400, 'BadRequest', 'name in URL does not match name in Eviction object');
    if (e.metadata.namespace !== undefined && e.metadata.namespace !== namespace) return status(400, 'BadRequest', 'namespace in URL does not match namespace in Eviction object');
    const pod = c.pods.get(`${namespace}/${name}`);
    if (!pod) return status(404, 'NotFound', `pods "${name}" not found`);
    const now = c.now();
    if (pod.deleteAt !== undefined) return status(200, 'Success', 'pod is already terminating', undefined);
    const budgets = c.budgetsOf(pod);
    if (budgets.length > 1 || budgets.some((b) => c.overlapOf(b) !== undefined)) return status(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    const w = budgets[0];
    const running = pod.readyAt !== undefined || pod.nodeName !== undefined;
    if (w && running) {
      const s = c.budget(w, now);
      const allowed = c.isBlocked(w) ? false : c.podReady(pod, now) ? s.allowed >= 1 : s.healthy >= s.desired;
      if (!allowed) {
        c.events.push({ at: now, kind: 'evictionRefused', pod: `${namespace}/${name}`, ...(pod.nodeName ? { node: pod.nodeName } : {}), pdb: pdbName(w) });
        return status(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
          causes: [{ type: 'DisruptionBudget', message: `The disruption budget ${pdbName(w)} needs ${s.desired} healthy pods and has ${s.healthy} currently` }],
        });
      }
    }
    c.events.push({ at: now, kind: 'evicted', pod: `${namespace}/${name}`, ...(pod.nodeName ? { node: pod.nodeName } : {}), ...(w ? { pdb: pdbName(w) } : {}) });
    c.beginTermination(pod, now);
    return status(201, 'Success', '');
  }

  private node(n: SimNode): unknown {
    const ready = this.cluster.isReady(n);
    return {
      metadata: { name: n.name, labels: { ...n.labels }, creationTimestamp: iso(n.registeredAt) },
      spec: { providerID: n.providerID, ...(n.unschedulable ? { unschedulable: true } : {}), taints: n.taints.map((t) => ({ ...t })) },
      status: {
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady' }],
        nodeInfo: { kubeletVersion: n.kubeletVersion, operatingSystem: 'windows', osImage: 'Windows Server' },
      },
    };
  }

  private pod(p: SimPod): unknown {
    const c = this.cluster;
    const w = c.workload(p);
    const ready = c.podReady(p);
    return {
      metadata: {
        name: p.name,
        namespace: p.namespace,
        uid: p.uid,
        labels: { app: p.workload },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: w?.kind === 'DaemonSet' ? 'DaemonSet' : 'ReplicaSet', name: p.workload, controller: true }],
        creationTimestamp: iso(p.createdAt),
        ...(p.deleteAt !== undefined ? { deletionTimestamp: iso(p.deleteAt) } : {}),
      },
      spec: { ...(p.nodeName ? { nodeName: p.nodeName } : {}), terminationGracePeriodSeconds: p.grace },
      status: { phase: p.nodeName ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    };
  }
}
