import { z } from 'zod';

/**
 * The simulated EKS cluster's scenario shapes: workloads, timings and faults, used by
 * fleet.ts (`fleet.clusters[].workloads`, `timings`, and FaultSchema).
 */
const IntOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d{1,3}%$/, 'a percentage is like "50%"')]);

export const WorkloadSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a workload name is a DNS label (lowercase, digits, dashes)'),
  namespace: z.string().default('default'),
  kind: z.enum(['Deployment', 'DaemonSet']),
  /** Deployments only. */
  replicas: z.number().int().min(0).default(1),
  /** The ASG whose nodes run it (the pods' node affinity). */
  nodeGroup: z.string().min(1),
  terminationGracePeriodSeconds: z.number().int().min(0).default(30),
  pdb: z
    .union([z.strictObject({ minAvailable: IntOrPercent }), z.strictObject({ maxUnavailable: IntOrPercent })])
    .optional(),
});

export const KubernetesFaultSchema = z.discriminatedUnion('kind', [
  /** New nodes from this AMI / group never register (`neverRegister`) or register and stay NotReady. */
  z.strictObject({ kind: z.literal('nodesNeverReady'), amiId: z.string().optional(), asgName: z.string().optional(), mode: z.enum(['notReady', 'neverRegister']).default('notReady') }),
  /** Nodes from this AMI report another Windows build than the AMI's. */
  z.strictObject({ kind: z.literal('wrongWindowsBuild'), amiId: z.string(), build: z.string().default('10.0.17763') }),
  /** A PodDisruptionBudget that never allows an eviction. */
  z.strictObject({ kind: z.literal('evictionBlocked'), pdb: z.string().min(1) }),
  /**
   * Someone else's second PodDisruptionBudget (<workload>-pdb-overlap) selects the pods of a workload that has a pdb.
   * "API-initiated Eviction" (kubernetes.io): with more than one budget for a pod the eviction is refused with 500,
   * so such pods never leave by eviction; the budget shows in the namespace's list of budgets.
   */
  z.strictObject({ kind: z.literal('overlappingPdb'), workload: z.string().min(1), namespace: z.string().default('default') }),
]);

export const TimingsSchema = z.strictObject({
  /** Registration to Ready (kubelet, CNI, kube-proxy on Windows take their time). */
  nodeReadySeconds: z.number().min(0).default(90),
  /** A scheduled pod to Ready (Windows images are large even when cached). */
  podStartSeconds: z.number().min(0).default(45),
  /** A controller noticing a terminating pod and creating its replacement. */
  recreateSeconds: z.number().min(0).default(2),
  /** The disruption controller seeing a pod turn Ready: until then the budget does not count it (stricter than instant). */
  pdbSyncSeconds: z.number().min(0).default(5),
});

export type Workload = z.output<typeof WorkloadSchema>;
export type KubernetesFault = z.output<typeof KubernetesFaultSchema>;
export type Timings = z.output<typeof TimingsSchema>;

/** What the launching instance's AMI and launch template make of its node. */
export interface AmiFacts {
  amiId: string;
  asgName: string;
  /** e.g. 10.0.20348 */
  windowsBuild: string;
  /** e.g. v1.31.4-eks-a1b2c3 */
  kubeletVersion: string;
  availabilityZone?: string;
  /** From the launch template's kubelet arguments (--node-labels, --register-with-taints). */
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
}

export interface SimNode {
  name: string;
  instanceId: string;
  asgName: string;
  amiId: string;
  registeredAt: number;
  /** undefined: never Ready. */
  readyAt?: number;
  unschedulable: boolean;
  labels: Record<string, string>;
  taints: NonNullable<AmiFacts['taints']>;
  kubeletVersion: string;
  providerID: string;
}

export interface SimPod {
  name: string;
  namespace: string;
  uid: string;
  workload: string;
  kind: Workload['kind'];
  nodeName?: string;
  createdAt: number;
  scheduledAt?: number;
  readyAt?: number;
  /** deletionTimestamp: when the kubelet has killed it (eviction time + grace period). */
  deleteAt?: number;
  grace: number;
}

/** What happened, for the timeline and the summary. */
export type ClusterEvent =
  | { at: number; kind: 'nodeRegistered' | 'nodeRemoved' | 'cordoned'; node: string }
  | { at: number; kind: 'evicted' | 'evictionRefused'; pod: string; node?: string; pdb?: string }
  | { at: number; kind: 'podDeleted'; pod: string; node?: string; withoutEviction: boolean }
  | { at: number; kind: 'podScheduled'; pod: string; node: string }
  | { at: number; kind: 'pdbViolated'; pdb: string; healthy: number; desired: number };
