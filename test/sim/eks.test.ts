import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterAccess } from '../../lib/eks/cluster.js';
import { installClock, type SimulatedClock } from '../../local/clock.js';
import type { SimInstanceHistory } from '../../local/sim/account.js';
import { resolve } from 'node:path';
import { parseScenario } from '../../local/scenario.js';
import { ScenarioFleetSchema } from '../../local/sim/fleet.js';
import { installSimulation, type CallRecord } from '../../local/sim/install.js';
import { AMI_2019, eksAccount, eksFleet, START_ISO, advance } from './eks-fixture.js';

const iso = (t: number) => new Date(t).toISOString();

const eks = new EKSClient({ region: 'us-west-2' });
const MIN = 60_000;
let clock: SimulatedClock | undefined;
let sim: { restore(): void } | undefined;

afterEach(() => {
  sim?.restore();
  clock?.uninstall();
  sim = clock = undefined;
});

const issues = (fleet: unknown) => {
  const r = ScenarioFleetSchema.safeParse(fleet);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('simulated EKS: DescribeCluster', () => {
  it('answers with the shape EKS gives: ACTIVE, version, endpoint, CA, authentication mode and endpoint access', async () => {
    clock = installClock(START_ISO);
    sim = installSimulation(eksAccount());
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'prod-eks' }));
    expect(cluster).toMatchObject({
      name: 'prod-eks',
      arn: 'arn:aws:eks:us-west-2:111122223333:cluster/prod-eks',
      status: 'ACTIVE',
      version: '1.31',
      accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
      resourcesVpcConfig: { endpointPublicAccess: true, endpointPrivateAccess: false },
    });
    expect(cluster?.endpoint).toMatch(/^https:\/\/[0-9A-F]{32}\.gr7\.us-west-2\.eks\.amazonaws\.com$/);
    const pem = Buffer.from(cluster?.certificateAuthority?.data ?? '', 'base64').toString('utf8');
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n$/);
    // What the plan reads (lib/eks/cluster.ts) finds nothing to object to.
    expect(await clusterAccess(async (name) => (await eks.send(new DescribeClusterCommand({ name }))).cluster ?? {}, 'prod-eks')).toMatchObject({ privateOnly: false, version: '1.31' });
  });

  it('renders private and both endpoint access and the scenario authentication mode', async () => {
    sim = installSimulation(eksAccount({ endpointAccess: 'private', authenticationMode: 'CONFIG_MAP', version: '1.30' }));
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'prod-eks' }));
    expect(cluster).toMatchObject({ version: '1.30', accessConfig: { authenticationMode: 'CONFIG_MAP' }, resourcesVpcConfig: { endpointPublicAccess: false, endpointPrivateAccess: true, publicAccessCidrs: [] } });
    await expect(clusterAccess(async (name) => (await eks.send(new DescribeClusterCommand({ name }))).cluster ?? {}, 'prod-eks')).rejects.toThrow(/authentication mode CONFIG_MAP/);
    sim.restore();
    sim = installSimulation(eksAccount({ endpointAccess: 'both' }));
    expect((await eks.send(new DescribeClusterCommand({ name: 'prod-eks' }))).cluster?.resourcesVpcConfig).toMatchObject({ endpointPublicAccess: true, endpointPrivateAccess: true });
  });

  it('refuses an unknown cluster with ResourceNotFoundException (404), and throttles with EKS ThrottlingException', async () => {
    const calls: CallRecord[] = [];
    const draws = [0.1, 0.9];
    sim = installSimulation(eksAccount({}, [{ kind: 'throttle', rate: 0.5, services: ['EKS'] }]), { onCall: (c) => calls.push(c), random: () => draws.shift() ?? 1 });
    await expect(eks.send(new DescribeClusterCommand({ name: 'prod-eks' }))).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(eks.send(new DescribeClusterCommand({ name: 'staging' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'No cluster found for name: staging.', $metadata: { httpStatusCode: 404 } });
    expect(calls.map((c) => [c.service, c.operation, c.error])).toEqual([
      ['EKS', 'DescribeCluster', 'ThrottlingException'],
      ['EKS', 'DescribeCluster', 'ResourceNotFoundException'],
    ]);
  });
});

describe('simulated EKS: scenario', () => {
  it('tags a cluster\'s groups as eksctl tags self-managed node groups and passes the kubelet labels and taints in the bootstrap user data', async () => {
    sim = installSimulation(eksAccount());
    const groups = await new AutoScalingClient({ region: 'us-west-2' }).send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: 'tag:alpha.eksctl.io/cluster-name', Values: ['prod-eks'] }] }));
    expect(groups.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['ng-win-a']);
    const tags = Object.fromEntries((groups.AutoScalingGroups?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toEqual({ 'alpha.eksctl.io/cluster-name': 'prod-eks', 'alpha.eksctl.io/nodegroup-name': 'ng-win-a', 'kubernetes.io/cluster/prod-eks': 'owned' });
    // eks:cluster-name marks a managed node group's ASG, which the plan refuses to refresh: not put on self-managed groups.
    expect(tags['eks:cluster-name']).toBeUndefined();
    const v = await new EC2Client({ region: 'us-west-2' }).send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'ng-win-a', Versions: ['1'] }));
    expect(Buffer.from(v.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData ?? '', 'base64').toString()).toContain("-KubeletExtraArgs '--node-labels=os=windows,team=payments --register-with-taints=os=windows:NoSchedule'");
  });

  it('refuses cross references that do not hold, naming the fix', () => {
    const fleet = eksFleet() as { autoScalingGroups: Record<string, unknown>[]; clusters: { workloads: Record<string, unknown>[] }[] };
    expect(issues(fleet)).toEqual([]);
    fleet.clusters[0]!.workloads.push({ name: 'api', kind: 'Deployment', nodeGroup: 'ng-other' }, { name: 'batch', kind: 'Deployment', nodeGroup: 'ng-gone' });
    fleet.autoScalingGroups.push({ name: 'ng-lost', cluster: 'staging', launchTemplate: 'ng-other' });
    expect(issues(fleet)).toEqual([
      'clusters.0.workloads.2.nodeGroup: workload api: auto scaling group ng-other is not in cluster prod-eks (give it cluster: prod-eks)',
      'clusters.0.workloads.3.nodeGroup: workload batch: nodeGroup ng-gone is not an auto scaling group of the fleet (nor a managed node group of cluster prod-eks)',
      'autoScalingGroups.2.cluster: auto scaling group ng-lost: cluster staging is not in fleet.clusters',
    ]);
    expect(issues(eksFleet({ name: 'prod eks' }))).toContainEqual(expect.stringMatching(/^clusters\.0\.name: an EKS cluster name is 1-100 letters/));
    const badTaint = eksFleet() as { launchTemplates: { versions: Record<string, unknown>[] }[] };
    badTaint.launchTemplates[0]!.versions[0] = { imageId: AMI_2019, kubelet: { taints: ['os=windows'] } };
    expect(issues(badTaint)).toEqual([
      'launchTemplates.0.versions.0.kubelet.taints.0: a taint is "key=value:Effect" (Effect NoSchedule, PreferNoSchedule or NoExecute)',
    ]);
    badTaint.launchTemplates[0]!.versions[0] = { imageId: AMI_2019, userData: false, kubelet: { taints: ['os=windows:NoSchedule'] } };
    expect(issues(badTaint)).toEqual(['launchTemplates.0.versions.0.kubelet: launch template ng-win-a version 1: kubelet arguments need userData (the bootstrap passes them)']);
  });
});

describe('simulated EKS: Kubernetes faults in a scenario', () => {
  const scenario = (faults: unknown[], fleet = eksFleet()) => () => parseScenario({ configFile: 'events/ci.config.yml', fleet, faults }, 'test.yml', resolve(import.meta.dirname, '../..'));

  it('accepts faults that name the fleet\'s groups and budgets', () => {
    expect(scenario([{ kind: 'nodesNeverReady', asgName: 'ng-win-a' }, { kind: 'evictionBlocked', pdb: 'web-pdb' }, { kind: 'wrongWindowsBuild', amiId: AMI_2019 }])().faults).toHaveLength(3);
  });

  it('refuses a fault about a group outside every cluster, a budget no workload has, or a fleet without clusters', () => {
    expect(scenario([{ kind: 'nodesNeverReady', asgName: 'ng-other' }])).toThrow(/auto scaling group ng-other is not in a cluster/);
    expect(scenario([{ kind: 'evictionBlocked', pdb: 'log-agent-pdb' }])).toThrow(/no workload has the budget log-agent-pdb/);
    expect(scenario([{ kind: 'evictionBlocked', pdb: 'web-pdb' }], { ...eksFleet(), clusters: [], autoScalingGroups: [] })).toThrow(/needs a cluster in fleet.clusters/);
  });
});

describe('simulated EKS: the cluster follows the account\'s instances', () => {
  it('starts with a Ready node per instance of the cluster\'s groups and the workloads running', () => {
    clock = installClock(START_ISO);
    const account = eksAccount();
    const cluster = account.clusters().get('prod-eks')!;
    const ids = account.instances('ng-win-a').map((i) => i.instanceId);
    const nodes = [...cluster.nodes.values()];
    expect(nodes.map((n) => n.instanceId).sort()).toEqual([...ids].sort());
    expect(nodes.every((n) => cluster.isReady(n))).toBe(true);
    expect(nodes[0]).toMatchObject({
      labels: expect.objectContaining({ 'kubernetes.io/os': 'windows', 'node.kubernetes.io/windows-build': '10.0.20348', os: 'windows', team: 'payments' }),
      taints: [{ key: 'os', value: 'windows', effect: 'NoSchedule' }],
      kubeletVersion: expect.stringMatching(/^v1\.31\.\d+-eks-[0-9a-f]{7}$/),
      providerID: expect.stringMatching(/^aws:\/\/\/us-west-2[ab]\/i-[0-9a-f]{17}$/),
    });
    const pods = [...cluster.pods.values()];
    expect(pods.filter((p) => p.workload === 'web' && cluster.podReady(p))).toHaveLength(3);
    expect(pods.filter((p) => p.workload === 'log-agent' && cluster.podReady(p))).toHaveLength(3);
    expect(cluster.budget(cluster.workloads[0]!)).toMatchObject({ healthy: 3, desired: 2, allowed: 1 });
    expect(cluster.deletedWithoutEviction()).toEqual([]);
  });

  it('registers a Node at the instance\'s bootedAt and removes it at terminatedAt, its pods deleted without eviction', async () => {
    clock = installClock(START_ISO);
    const account = eksAccount();
    const start = clock.now();
    const real = account.instanceHistory();
    const old = real.find((h) => h.asgName === 'ng-win-a')!;
    const lt = account.launchTemplateVersions('ng-win-a');
    expect(lt).toHaveLength(2);
    // The signature S1's lifecycle model implements: a new instance launched at +1 min, booted at +4 min; the old one gone at +20 min.
    const launched: SimInstanceHistory = { ...old, instanceId: 'i-0ccccccccccccccc1', imageId: AMI_2019, versionNumber: 2, launchedAt: iso(start + MIN), bootedAt: iso(start + 4 * MIN), lifecycleState: 'InService' };
    account.instanceHistory = () => [
      ...real.map((h) => (h.instanceId === old.instanceId && clock!.now() >= start + 20 * MIN ? { ...h, terminatedAt: iso(start + 20 * MIN), lifecycleState: 'Terminated' } : h)),
      ...(clock!.now() >= start + MIN ? [launched] : []),
    ];
    const nodeOf = (id: string) => [...account.clusters().get('prod-eks')!.nodes.values()].find((n) => n.instanceId === id);
    await advance(clock, 3 * MIN);
    expect(nodeOf(launched.instanceId)).toBeUndefined();
    await advance(clock, 2 * MIN);
    const node = nodeOf(launched.instanceId)!;
    expect(node).toMatchObject({ registeredAt: start + 4 * MIN, labels: expect.objectContaining({ 'node.kubernetes.io/windows-build': '10.0.17763', team: 'payments' }) });
    expect(account.clusters().get('prod-eks')!.isReady(node)).toBe(false);
    await advance(clock, 60_000);
    expect(account.clusters().get('prod-eks')!.isReady(node)).toBe(true);
    expect(nodeOf(old.instanceId)).toBeDefined();
    await advance(clock, 15 * MIN);
    expect(nodeOf(old.instanceId)).toBeUndefined();
    const cluster = account.clusters().get('prod-eks')!;
    expect(cluster.events.find((e) => e.kind === 'nodeRemoved')).toMatchObject({ at: start + 20 * MIN });
    expect(cluster.deletedWithoutEviction()).toEqual([expect.stringMatching(/^default\/web-/)]);
  });

  it('applies the scenario\'s Kubernetes faults to nodes that boot in the run', async () => {
    clock = installClock(START_ISO);
    const account = eksAccount({}, [{ kind: 'nodesNeverReady', amiId: AMI_2019, mode: 'neverRegister' }, { kind: 'evictionBlocked', pdb: 'web-pdb' }]);
    const start = clock.now();
    const real = account.instanceHistory();
    const extra: SimInstanceHistory = { ...real[0]!, instanceId: 'i-0ccccccccccccccc2', imageId: AMI_2019, versionNumber: 2, launchedAt: iso(start), bootedAt: iso(start + MIN) };
    account.instanceHistory = () => [...real, extra];
    await advance(clock, 2 * MIN);
    const cluster = account.clusters().get('prod-eks')!;
    expect(cluster.nodes.size).toBe(3);
    expect(cluster.isBlocked(cluster.workloads[0]!)).toBe(true);
  });
});
