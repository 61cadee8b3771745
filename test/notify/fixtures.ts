import type { RunPlan, VariantPlan } from '../../lib/plan/types.js';
import type { GroupProgress } from '../../lib/rollout/refresh.js';

/** Fixed inputs for the notification snapshots (and docs/notifications.md). */
export const REGION = 'us-west-2';
export const RUN_ARN = 'arn:aws:states:us-west-2:111122223333:execution:eks-windows-patch-prod-patch-run:monthly-2026-11';
export const START = '2026-11-15T08:00:05.000Z';

const group = (asgName: string, lt: string, version: string, canary = false) => ({ asgName, launchTemplateId: lt, version, nextVersion: String(Number(version) + 1), canary, imageId: 'ami-0b2022c0000000001' });

export const variant: VariantPlan = {
  id: 'win2022-core-131',
  windows: '2022',
  edition: 'Core',
  kubernetes: '1.31',
  sourceParameter: '/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id',
  sourceAmi: 'ami-0a2022c0000000001',
  lastBuiltSourceAmi: 'ami-0a2022c0000000000',
  amiId: null,
  stages: { build: true, fastLaunch: true, rollout: true },
  images: ['mcr.microsoft.com/oss/kubernetes/pause:3.9'],
  imagesDigest: 'ea7c9a2ed959cd1e',
  waves: [[group('eks-win2022-canary', 'lt-0123456789abcdef1', '4', true)], [group('eks-win2022-apps-a', 'lt-0123456789abcdef2', '7'), group('eks-win2022-apps-b', 'lt-0123456789abcdef3', '2')]],
  warnings: ['eks-win2022-apps-b has no termination lifecycle hook: its nodes are not drained before they are replaced'],
  childName: 'monthly-2026-11-win2022-core-131',
};

export const plan: Omit<RunPlan, 'notice'> = {
  executionName: 'monthly-2026-11',
  trigger: 'monthly',
  reason: 'monthly run for Patch Tuesday 2026-11-10',
  dryRun: false,
  variants: [variant],
  upToDate: [],
  busyWith: [],
  proceed: 'now',
  waitSeconds: 0,
  warnings: variant.warnings.map((w) => `${variant.id}: ${w}`),
};

const progress = (asgName: string, state: GroupProgress['state'], extra: Partial<GroupProgress> = {}): GroupProgress => ({
  asgName,
  launchTemplateId: 'lt-0123456789abcdef2',
  fromVersion: '7',
  toVersion: '8',
  state,
  refreshId: '0d1c2b3a-0000-4000-8000-000000000001',
  status: state === 'rolledBack' ? 'RollbackSuccessful' : 'Successful',
  percent: 100,
  reason: null,
  busyAttempts: 0,
  ...extra,
});

export const rolledBackWave = {
  waveIndex: 1,
  groups: [progress('eks-win2022-apps-a', 'rolledBack', { reason: 'Instances failed to pass health checks' }), progress('eks-win2022-apps-b', 'patched', { fromVersion: '2', toVersion: '3' })],
};
