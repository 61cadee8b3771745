/**
 * The fields of Kubernetes objects this project reads or writes: a subset of the
 * core/v1 and policy/v1 API types, with the API's own names, so a field here is
 * looked up in the Kubernetes API reference by the same path.
 */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface Node {
  metadata: ObjectMeta;
  spec: { providerID?: string; unschedulable?: boolean; taints?: Taint[] };
  status?: {
    conditions?: NodeCondition[];
    nodeInfo?: { kubeletVersion: string; osImage?: string; kernelVersion?: string; operatingSystem?: string };
  };
}

export interface Pod {
  metadata: ObjectMeta;
  spec: { nodeName?: string; terminationGracePeriodSeconds?: number; nodeSelector?: Record<string, string> };
  status?: { phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown'; conditions?: { type: string; status: string }[] };
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface PodDisruptionBudget {
  metadata: ObjectMeta;
  spec: { selector?: LabelSelector; minAvailable?: number | string; maxUnavailable?: number | string };
  status?: { currentHealthy?: number; desiredHealthy?: number; disruptionsAllowed?: number; expectedPods?: number };
}

export interface List<T> {
  items: T[];
  metadata?: { continue?: string; resourceVersion?: string };
}

/** metav1.Status, what the API answers on failure (and on a successful eviction). */
export interface Status {
  kind?: 'Status';
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; retryAfterSeconds?: number; causes?: { type?: string; message?: string; reason?: string; field?: string }[] };
}

/** policy/v1 Eviction, the body POSTed to pods/NAME/eviction. */
export interface Eviction {
  apiVersion: 'policy/v1';
  kind: 'Eviction';
  metadata: { name: string; namespace: string };
  deleteOptions?: { gracePeriodSeconds?: number };
}

/** Does a label set satisfy a selector (metav1.LabelSelector semantics; an empty selector matches everything). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    if (e.operator === 'In' && !(has && value !== undefined && (e.values ?? []).includes(value))) return false;
    if (e.operator === 'NotIn' && has && value !== undefined && (e.values ?? []).includes(value)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
