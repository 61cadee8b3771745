import { PipelineError } from '../errors.js';
import type { Eviction, List, Node, Pod, PodDisruptionBudget, Status } from './types.js';

/**
 * Every Kubernetes API call the project makes. The client's methods go through this
 * table, and resources/kubernetes-rbac.yaml grants exactly what it derives
 * (test/kubernetes/rbac.test.ts compares the two), so a new call cannot ship without
 * its RBAC rule, nor a rule outlive its call.
 */
export const KUBERNETES_OPERATIONS = {
  ListNodes: { method: 'GET', apiGroup: '', resource: 'nodes', verb: 'list' },
  GetNode: { method: 'GET', apiGroup: '', resource: 'nodes', verb: 'get' },
  PatchNode: { method: 'PATCH', apiGroup: '', resource: 'nodes', verb: 'patch' },
  ListPods: { method: 'GET', apiGroup: '', resource: 'pods', verb: 'list' },
  CreateEviction: { method: 'POST', apiGroup: '', resource: 'pods/eviction', verb: 'create' },
  ListPodDisruptionBudgets: { method: 'GET', apiGroup: 'policy', resource: 'poddisruptionbudgets', verb: 'list' },
} as const;

export type KubernetesOperation = keyof typeof KUBERNETES_OPERATIONS;
export type HttpMethod = (typeof KUBERNETES_OPERATIONS)[KubernetesOperation]['method'];

export interface AccessRule {
  apiGroup: string;
  resource: string;
  verbs: string[];
}

/** The RBAC the client needs: one rule per (apiGroup, resource), verbs sorted. */
export const KUBERNETES_ACCESS: readonly AccessRule[] = (() => {
  const rules = new Map<string, AccessRule>();
  for (const op of Object.values(KUBERNETES_OPERATIONS)) {
    const key = `${op.apiGroup}/${op.resource}`;
    const rule = rules.get(key) ?? { apiGroup: op.apiGroup, resource: op.resource, verbs: [] };
    if (!rule.verbs.includes(op.verb)) rule.verbs.push(op.verb);
    rules.set(key, rule);
  }
  return [...rules.values()].map((r) => ({ ...r, verbs: r.verbs.sort() }));
})();

export interface KubernetesResponse {
  status: number;
  /** Parsed JSON (a Status on most failures). */
  body: unknown;
}

/**
 * How a request reaches an API server. Production passes httpsTransport (lib/kubernetes/https.ts);
 * the rehearsal passes the simulated cluster's `request`. `path` includes the query string.
 */
export type KubernetesTransport = (method: HttpMethod, path: string, body?: unknown, contentType?: string) => Promise<KubernetesResponse>;

export class KubernetesApiError extends PipelineError {
  /** 5xx and 429 are worth retrying (withRetries in lib/aws/retry.ts reads $fault). */
  readonly $fault: 'client' | 'server';
  constructor(
    readonly operation: KubernetesOperation,
    readonly status: number,
    readonly apiStatus: Status | undefined,
    message: string,
  ) {
    super(message);
    this.$fault = status >= 500 || status === 429 ? 'server' : 'client';
  }
}
/** 401: the cluster does not know the role (no EKS access entry, or the token is for another cluster). */
export class KubernetesUnauthorizedError extends KubernetesApiError {}
/** 403: the role's Kubernetes group lacks a verb (resources/kubernetes-rbac.yaml not applied, or outdated). */
export class KubernetesForbiddenError extends KubernetesApiError {}

export type EvictionOutcome =
  | { outcome: 'evicted' }
  /** 404: the pod is already gone. */
  | { outcome: 'gone' }
  /** 429: a PodDisruptionBudget does not allow it now; the message names the budget. */
  | { outcome: 'blocked'; message: string; pdbName?: string; retryAfterSeconds?: number }
  /** 500: the pod matches several budgets, which the eviction subresource refuses ("API-initiated Eviction"). */
  | { outcome: 'misconfigured'; message: string };

const enc = encodeURIComponent;
const asStatus = (body: unknown): Status | undefined => (body && typeof body === 'object' ? (body as Status) : undefined);

// "The disruption budget NAME needs N healthy pods and has M currently" (kube-apiserver's eviction REST, cause type DisruptionBudget).
function pdbNameOf(status: Status | undefined): string | undefined {
  const cause = status?.details?.causes?.find((c) => c.type === 'DisruptionBudget');
  return cause?.message?.match(/disruption budget (\S+)/)?.[1];
}

export class KubernetesClient {
  constructor(private readonly transport: KubernetesTransport) {}

  /** The one way out: the method comes from the operations table, so no call escapes the RBAC derivation. */
  private send(operation: KubernetesOperation, path: string, body?: unknown, contentType?: string): Promise<KubernetesResponse> {
    return this.transport(KUBERNETES_OPERATIONS[operation].method, path, body, contentType);
  }

  private async call<T>(operation: KubernetesOperation, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.send(operation, path, body, contentType);
    if (res.status >= 200 && res.status < 300) return res.body as T;
    throw this.failure(operation, res);
  }

  private failure(operation: KubernetesOperation, res: KubernetesResponse): KubernetesApiError {
    const status = asStatus(res.body);
    const what = `${operation} ${status?.message ?? ''}`.trim();
    if (res.status === 401)
      return new KubernetesUnauthorizedError(operation, 401, status, `${what}: the cluster refused the token; give the Lambda role an EKS access entry mapped to the group in resources/kubernetes-rbac.yaml`);
    if (res.status === 403) {
      const { verb, resource } = KUBERNETES_OPERATIONS[operation];
      return new KubernetesForbiddenError(operation, 403, status, `${what}: ${verb} ${resource} is forbidden; kubectl apply -f resources/kubernetes-rbac.yaml`);
    }
    return new KubernetesApiError(operation, res.status, status, `${what} (HTTP ${res.status})`);
  }

  /** Every node, following `continue` tokens (Nodes have no field selector on spec.providerID). */
  async listNodes(): Promise<Node[]> {
    const nodes: Node[] = [];
    let token: string | undefined;
    do {
      const page: List<Node> = await this.call('ListNodes', `/api/v1/nodes?limit=500${token ? `&continue=${enc(token)}` : ''}`);
      nodes.push(...page.items);
      token = page.metadata?.continue || undefined;
    } while (token);
    return nodes;
  }

  /** One node at most: the plan's probe that the cluster is reachable and lets this role in (401/403 otherwise). */
  async probe(): Promise<void> {
    await this.call<List<Node>>('ListNodes', '/api/v1/nodes?limit=1');
  }

  /** The Node of an EC2 instance: spec.providerID is aws:///<az>/<instance-id>. */
  async findNodeByInstanceId(instanceId: string): Promise<Node | undefined> {
    return (await this.listNodes()).find((n) => n.spec.providerID?.endsWith(`/${instanceId}`));
  }

  async getNode(name: string): Promise<Node | undefined> {
    try {
      return await this.call<Node>('GetNode', `/api/v1/nodes/${enc(name)}`);
    } catch (error) {
      if (error instanceof KubernetesApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Cordon: a JSON merge patch of spec.unschedulable, what `kubectl cordon` sets. */
  async cordonNode(name: string): Promise<Node> {
    return this.call<Node>('PatchNode', `/api/v1/nodes/${enc(name)}`, { spec: { unschedulable: true } }, 'application/merge-patch+json');
  }

  async listPodsOnNode(nodeName: string): Promise<Pod[]> {
    const pods: Pod[] = [];
    let token: string | undefined;
    do {
      const page: List<Pod> = await this.call('ListPods', `/api/v1/pods?fieldSelector=${enc(`spec.nodeName=${nodeName}`)}&limit=500${token ? `&continue=${enc(token)}` : ''}`);
      pods.push(...page.items);
      token = page.metadata?.continue || undefined;
    } while (token);
    return pods;
  }

  async listPodDisruptionBudgets(namespace: string): Promise<PodDisruptionBudget[]> {
    const page: List<PodDisruptionBudget> = await this.call('ListPodDisruptionBudgets', `/apis/policy/v1/namespaces/${enc(namespace)}/poddisruptionbudgets`);
    return page.items;
  }

  /** POST pods/NAME/eviction (policy/v1). 429 and 500 are answers, not errors: the drain decides what they mean. */
  async evictPod(namespace: string, name: string): Promise<EvictionOutcome> {
    const body: Eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } };
    const res = await this.send('CreateEviction', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/eviction`, body, 'application/json');
    const status = asStatus(res.body);
    if (res.status >= 200 && res.status < 300) return { outcome: 'evicted' };
    if (res.status === 404) return { outcome: 'gone' };
    if (res.status === 429) {
      const pdbName = pdbNameOf(status);
      const retryAfterSeconds = status?.details?.retryAfterSeconds;
      return { outcome: 'blocked', message: status?.message ?? 'eviction refused (429)', ...(pdbName ? { pdbName } : {}), ...(retryAfterSeconds ? { retryAfterSeconds } : {}) };
    }
    if (res.status === 500) return { outcome: 'misconfigured', message: status?.message ?? 'eviction failed (500)' };
    throw this.failure('CreateEviction', res);
  }
}
