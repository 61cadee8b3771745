import type { SimulatedClock } from '../../local/clock.js';
import { SimulatedAccount } from '../../local/sim/account.js';
import { FaultSchema, ScenarioFleetSchema, type Fault } from '../../local/sim/fleet.js';

/** Runs the simulated clock `ms` forward, letting everything due meanwhile happen. */
export const advance = (c: SimulatedClock, ms: number): Promise<void> => c.drive(new Promise<void>((resolve) => setTimeout(resolve, ms)));

export const START_ISO = '2026-12-08T18:00:00Z';
export const AMI_2022 = 'ami-0123456789abcdef0';
export const AMI_2019 = 'ami-0fedcba9876543210';
// AWS's documentation example credentials (never valid anywhere).
export const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

/** A fleet with cluster prod-eks: group ng-win-a (3 instances, labels and taints from its launch template), web (3 replicas, minAvailable 2) and a DaemonSet. */
export function eksFleet(cluster: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    amis: [
      { id: AMI_2022, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15' },
      { id: AMI_2019, name: 'Windows_Server-2019-English-Core-EKS_Optimized-1.31-2026.10.15' },
    ],
    launchTemplates: [
      {
        name: 'ng-win-a',
        versions: [
          { imageId: AMI_2022, kubelet: { labels: { os: 'windows', team: 'payments' }, taints: ['os=windows:NoSchedule'] } },
          { imageId: AMI_2019, kubelet: { labels: { os: 'windows', team: 'payments' }, taints: ['os=windows:NoSchedule'] } },
        ],
      },
      { name: 'ng-other', versions: [{ imageId: AMI_2022 }] },
    ],
    autoScalingGroups: [
      { name: 'ng-win-a', instances: 3, cluster: 'prod-eks' },
      { name: 'ng-other', instances: 1 },
    ],
    clusters: [
      {
        name: 'prod-eks',
        workloads: [
          { name: 'web', kind: 'Deployment', replicas: 3, nodeGroup: 'ng-win-a', pdb: { minAvailable: 2 } },
          { name: 'log-agent', kind: 'DaemonSet', nodeGroup: 'ng-win-a' },
        ],
        ...cluster,
      },
    ],
    ...extra,
  };
}

export function eksAccount(cluster: Record<string, unknown> = {}, faults: unknown[] = [], extra: Record<string, unknown> = {}): SimulatedAccount {
  return new SimulatedAccount({ fleet: ScenarioFleetSchema.parse(eksFleet(cluster, extra)), faults: faults.map((f) => FaultSchema.parse(f)) as Fault[] });
}
