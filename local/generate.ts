import { parseConfig } from '../lib/config.js';
import { sourceParameter } from '../lib/parameters.js';
import type { Scenario } from './scenario.js';
import type { Durations, Fault, Fleet } from './sim/fleet.js';
import { DEFAULT_INSTANCE_PROFILE } from './sim/fleet.js';

/**
 * Generated fleets for tests and the benchmark: N node groups spread over variants,
 * each group its own ASG and launch template pinned to version 1, AWS having just
 * published a new EKS-optimized AMI for every variant.
 */
export interface FleetSpec {
  variants?: { windows: '2019' | '2022' | '2025'; edition: 'Core' | 'Full'; kubernetes: string }[];
  nodeGroups: number;
  canariesPerVariant?: number;
  /** Instances of group i (default 2 + i mod 4). */
  instances?: (i: number) => number;
  waveSize?: number;
  /** Node group (ASG and launch template) names padded to this many characters, like eksctl's long generated names. */
  nameLength?: number;
  faults?: Fault[];
  durations?: Partial<Durations>;
  /** Overrides for individual ASGs, by index. */
  asg?: (i: number) => Partial<Fleet['autoScalingGroups'][number]>;
  config?: Record<string, unknown>;
  input?: Record<string, unknown>;
  /** ASG name of group i of variant `variant` (default ng-<variant>-<i>): e.g. eksctlName for realistic lengths. */
  asgName?: (i: number, variant: string) => string;
  start?: string;
}

export const DEFAULT_VARIANTS: NonNullable<FleetSpec['variants']> = [
  { windows: '2022', edition: 'Core', kubernetes: '1.31' },
  { windows: '2019', edition: 'Core', kubernetes: '1.31' },
  { windows: '2022', edition: 'Full', kubernetes: '1.31' },
  { windows: '2025', edition: 'Core', kubernetes: '1.32' },
];

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const ami = (kind: number, n: number) => `ami-${hex(kind, 2)}${hex(n, 15)}`;

/**
 * Instance counts spread over [min, max] by a prime stride, so that counts do not line
 * up with variants (group i belongs to variant i mod variants): with 2..20 and four
 * variants, every variant gets every count from 2 to 20.
 */
export function instancesBetween(min: number, max: number): (i: number) => number {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) throw new Error(`instancesBetween(${min}, ${max}): want integers 0 <= min <= max`);
  return (i) => min + ((i * 7919) % (max - min + 1));
}

/**
 * An ASG name as eksctl makes them for a self-managed node group (eksctl-<cluster>-nodegroup-<nodegroup>-NodeGroup-<id>),
 * 60 to 80 characters: the cluster and node group names vary in length with i, the id is 12 characters derived from i.
 */
export function eksctlName(i: number, variant: string): string {
  const tail = `-nodegroup-${variant}-${String(i).padStart(5, '0')}-NodeGroup-${hex((i * 2654435761) >>> 0, 8).toUpperCase()}WXYZ`;
  const target = 60 + ((i * 37) % 21);
  const cluster = `${['prod-eu-west-1', 'payments-prod-use1', 'shared-services-apse2-blue'][i % 3] as string}-windows-workloads-cluster`;
  return `eksctl-${cluster.slice(0, Math.max(3, target - 7 - tail.length))}${tail}`;
}

export function variantId(v: { windows: string; edition: string; kubernetes: string }): string {
  return `win${v.windows}-${v.edition.toLowerCase()}-${v.kubernetes.replace('.', '')}`;
}

/** eksctl-style: the short name, then a stack-like suffix up to `length` characters (ASG names allow 255). */
function longName(base: string, length: number | undefined): string {
  if (!length || base.length >= length) return base;
  return `${base}-${'nodegroup-eksctl-cluster-workers-'.repeat(8)}`.slice(0, length).replace(/-$/, 'x');
}

export function generateScenario(spec: FleetSpec): Scenario {
  const variants = spec.variants ?? DEFAULT_VARIANTS.slice(0, 2);
  const canaries = spec.canariesPerVariant ?? 1;
  const amis: Fleet['amis'] = [];
  const ssmParameters: Record<string, string> = {};
  variants.forEach((v, i) => {
    const published = ami(0xa0, i + 1);
    const old = ami(0xb0, i + 1);
    amis.push({ id: published, name: `Windows_Server-${v.windows}-English-${v.edition}-EKS_Optimized-${v.kubernetes}-2026.11.12`, platform: 'windows' });
    amis.push({ id: old, name: `${variantId(v)}-node-2026.10`, platform: 'windows' });
    ssmParameters[sourceParameter(v)] = published;
  });
  const launchTemplates: Fleet['launchTemplates'] = [];
  const autoScalingGroups: Fleet['autoScalingGroups'] = [];
  const selectors: { asgName: string; canary: boolean }[][] = variants.map(() => []);
  for (let i = 0; i < spec.nodeGroups; i++) {
    const v = i % variants.length;
    const vid = variantId(variants[v] as (typeof variants)[number]);
    const name = spec.asgName?.(i, vid) ?? longName(`ng-${vid}-${String(i).padStart(4, '0')}`, spec.nameLength);
    launchTemplates.push({ name, defaultVersion: 1, versions: [{ imageId: ami(0xb0, v + 1), rootVolumeOverride: false, userData: true, instanceType: 'm6i.xlarge' }] });
    autoScalingGroups.push({ name, launchTemplate: name, version: '1', mixedInstancesPolicy: false, instances: spec.instances?.(i) ?? 2 + (i % 4), tags: {}, terminationHook: true, ...spec.asg?.(i) });
    const list = selectors[v] as { asgName: string; canary: boolean }[];
    list.push({ asgName: name, canary: list.length < canaries });
  }
  const config = parseConfig({
    variants: variants.map((v, i) => ({ id: variantId(v), ...v, nodeGroups: selectors[i] })),
    admins: ['ops@example.com'],
    rollout: { waveSize: spec.waveSize ?? 10 },
    imageBuilder: { subnetId: 'subnet-0123456789abcdef0', securityGroupIds: ['sg-0123456789abcdef0'] },
    ...spec.config,
  });
  return {
    description: `${spec.nodeGroups} generated node groups over ${variants.length} variant(s)`,
    start: spec.start ?? '2026-11-15T09:00:00Z',
    stage: 'rehearsal',
    input: spec.input ?? {},
    config,
    fleet: { region: 'us-west-2', accountId: '111122223333', amis, ssmParameters, launchTemplates, autoScalingGroups, clusters: [], managedNodeGroups: [], instanceProfiles: [{ name: DEFAULT_INSTANCE_PROFILE, role: 'eks-windows-node-role' }] },
    faults: spec.faults ?? [],
    durations: spec.durations ?? {},
  };
}
