import { AutoScalingClient, DescribeAutoScalingGroupsCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeNodegroupCommand, DescribeUpdateCommand, EKSClient, ListNodegroupsCommand, ListUpdatesCommand, UpdateNodegroupVersionCommand } from '@aws-sdk/client-eks';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installClock, type SimulatedClock } from '../../local/clock.js';
import { parseScenario } from '../../local/scenario.js';
import { SimulatedAccount } from '../../local/sim/account.js';
import { FaultSchema, ScenarioFleetSchema, type Fault } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';
import { nodegroupAsgName } from '../../local/sim/nodegroups.js';
import { AMI_2019, AMI_2022, START_ISO, advance } from './eks-fixture.js';

const AMI_2022B = 'ami-0aaaabbbbccccdddd';
const MIN = 60_000;
const eks = new EKSClient({ region: 'us-west-2' });
const autoscaling = new AutoScalingClient({ region: 'us-west-2' });
let clock: SimulatedClock | undefined;
let sim: { restore(): void } | undefined;

afterEach(() => {
  sim?.restore();
  clock?.uninstall();
  sim = clock = undefined;
});


/** Cluster prod-eks with managed node group mng-a (3 instances of launch template mng-win v1) running web (3 replicas, minAvailable 2) and a DaemonSet; mng-aws is of an AWS AMI type. */
function fleet(extra: { managedNodeGroups?: unknown[]; launchTemplates?: unknown[]; clusters?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    // Fast Launch on since an earlier run (5 snapshots on hand each): the updates' launches are fast.
    amis: [
      { id: AMI_2022, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15', fastLaunch: {} },
      { id: AMI_2019, name: 'Windows_Server-2019-English-Core-EKS_Optimized-1.31-2026.10.15', fastLaunch: {} },
      { id: AMI_2022B, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12', fastLaunch: {} },
    ],
    launchTemplates: [
      { name: 'mng-win', versions: [{ imageId: AMI_2022 }, { imageId: AMI_2022B }, { imageId: AMI_2019 }] },
      { name: 'mng-aws-lt', versions: [{ instanceType: 'm5.xlarge' }, { imageId: AMI_2022 }] },
      { name: 'other-lt', versions: [{ imageId: AMI_2022 }] },
      ...(extra.launchTemplates ?? []),
    ],
    autoScalingGroups: [],
    clusters: [
      {
        name: 'prod-eks',
        workloads: [
          { name: 'web', kind: 'Deployment', replicas: 3, nodeGroup: 'mng-a', pdb: { minAvailable: 2 } },
          { name: 'log-agent', kind: 'DaemonSet', nodeGroup: 'mng-a' },
        ],
        ...extra.clusters,
      },
    ],
    managedNodeGroups: extra.managedNodeGroups ?? [
      { cluster: 'prod-eks', name: 'mng-a', launchTemplate: 'mng-win', version: 1, instances: 3 },
      { cluster: 'prod-eks', name: 'mng-aws', launchTemplate: 'mng-aws-lt', amiType: 'WINDOWS_CORE_2022_x86_64', instances: 1 },
    ],
  };
}
const account = (faults: unknown[] = [], f = fleet()) => new SimulatedAccount({ fleet: ScenarioFleetSchema.parse(f), faults: faults.map((x) => FaultSchema.parse(x)) as Fault[] });
const issues = (f: unknown) => {
  const r = ScenarioFleetSchema.safeParse(f);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const describeNg = async (name = 'mng-a') => (await eks.send(new DescribeNodegroupCommand({ clusterName: 'prod-eks', nodegroupName: name }))).nodegroup!;
const update = (version: string, extra: Record<string, unknown> = {}) =>
  eks.send(new UpdateNodegroupVersionCommand({ clusterName: 'prod-eks', nodegroupName: 'mng-a', launchTemplate: { name: 'mng-win', version }, ...extra }));
const describeUpdate = async (updateId: string) => (await eks.send(new DescribeUpdateCommand({ name: 'prod-eks', nodegroupName: 'mng-a', updateId }))).update!;
const asgOf = async () => (await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [nodegroupAsgName('prod-eks', 'mng-a')] }))).AutoScalingGroups![0]!;

describe('managed node groups: scenario and DescribeNodegroup', () => {
  it('creates the node group and its ASG (eks-<name>-<uuid>, EKS tags, pinned version) whose instances are Ready nodes with EKS labels', async () => {
    clock = installClock(START_ISO);
    const a = account();
    sim = installSimulation(a);
    const ng = await describeNg();
    const lt = a.launchTemplateVersions('mng-win');
    expect(lt).toHaveLength(3);
    expect(ng).toMatchObject({
      nodegroupName: 'mng-a',
      clusterName: 'prod-eks',
      status: 'ACTIVE',
      amiType: 'CUSTOM',
      version: '1.31',
      releaseVersion: AMI_2022,
      launchTemplate: { name: 'mng-win', version: '1', id: expect.stringMatching(/^lt-[0-9a-f]{17}$/) },
      resources: { autoScalingGroups: [{ name: expect.stringMatching(/^eks-mng-a-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/) }] },
      updateConfig: { maxUnavailable: 1 },
      scalingConfig: { minSize: 3, maxSize: 6, desiredSize: 3 },
    });
    expect(ng.nodegroupArn).toMatch(/^arn:aws:eks:us-west-2:111122223333:nodegroup\/prod-eks\/mng-a\/[0-9a-f]{8}-[0-9a-f-]{27}$/);
    const asg = await asgOf();
    expect(asg.AutoScalingGroupName).toBe(ng.resources?.autoScalingGroups?.[0]?.name);
    expect(asg.LaunchTemplate).toMatchObject({ LaunchTemplateId: ng.launchTemplate?.id, LaunchTemplateName: 'mng-win', Version: '1' });
    expect(Object.fromEntries((asg.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({
      'eks:cluster-name': 'prod-eks',
      'eks:nodegroup-name': 'mng-a',
      'k8s.io/cluster-autoscaler/prod-eks': 'owned',
      'kubernetes.io/cluster/prod-eks': 'owned',
    });
    expect(asg.Instances).toHaveLength(3);
    // EKS owns the group: the simulation refuses an instance refresh of it (stricter than AWS).
    await expect(autoscaling.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: asg.AutoScalingGroupName }))).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('UpdateNodegroupVersion') });
    const cluster = a.clusters().get('prod-eks')!;
    const nodes = [...cluster.nodes.values()].filter((n) => n.asgName === asg.AutoScalingGroupName);
    expect(nodes).toHaveLength(3);
    expect(nodes.every((n) => cluster.isReady(n))).toBe(true);
    expect(nodes[0]?.labels).toMatchObject({ 'eks.amazonaws.com/nodegroup': 'mng-a', 'eks.amazonaws.com/nodegroup-image': AMI_2022, 'eks.amazonaws.com/sourceLaunchTemplateVersion': '1' });
    expect([...cluster.pods.values()].filter((p) => p.workload === 'web' && cluster.podReady(p))).toHaveLength(3);
    // An AWS AMI type: no ImageId in its template; EKS supplies the AMI.
    expect(await describeNg('mng-aws')).toMatchObject({ amiType: 'WINDOWS_CORE_2022_x86_64', launchTemplate: { name: 'mng-aws-lt', version: '1' }, releaseVersion: AMI_2022B });
    expect((await eks.send(new ListNodegroupsCommand({ clusterName: 'prod-eks' }))).nodegroups).toEqual(['mng-a', 'mng-aws']);
    await expect(eks.send(new DescribeNodegroupCommand({ clusterName: 'prod-eks', nodegroupName: 'mng-z' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'No node group found for name: mng-z.' });
    await expect(eks.send(new DescribeNodegroupCommand({ clusterName: 'staging', nodegroupName: 'mng-a' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'No cluster found for name: staging.' });
  });

  it('refuses cross references that do not hold, naming the fix', () => {
    expect(issues(fleet())).toEqual([]);
    const bad = fleet({
      managedNodeGroups: [
        { cluster: 'staging', name: 'mng-a', launchTemplate: 'mng-win' },
        { cluster: 'prod-eks', name: 'mng-b', launchTemplate: 'nope' },
        { cluster: 'prod-eks', name: 'mng-c', launchTemplate: 'mng-win', version: 4 },
        { cluster: 'prod-eks', name: 'mng-d', launchTemplate: 'mng-aws-lt' },
        { cluster: 'prod-eks', name: 'mng-e', launchTemplate: 'mng-aws-lt', version: 2, amiType: 'WINDOWS_CORE_2022_x86_64' },
        { cluster: 'prod-eks', name: 'mng-f', launchTemplate: 'mng-aws-lt', amiType: 'CUSTOM' },
        { cluster: 'prod-eks', name: 'mng-b', launchTemplate: 'mng-win' },
        { cluster: 'prod-eks', name: 'bad name', launchTemplate: 'mng-win' },
      ],
    });
    // A shape error stops the cross-reference checks (zod runs them on a well-formed fleet only).
    expect(issues(bad)).toContain('managedNodeGroups.7.name: a node group name is 1-63 letters, digits, - and _, starting with a letter or digit');
    (bad.managedNodeGroups as unknown[]).pop();
    expect(issues(bad)).toEqual([
      'clusters.0.workloads.0.nodeGroup: workload web: nodeGroup mng-a is not an auto scaling group of the fleet (nor a managed node group of cluster prod-eks)',
      'clusters.0.workloads.1.nodeGroup: workload log-agent: nodeGroup mng-a is not an auto scaling group of the fleet (nor a managed node group of cluster prod-eks)',
      'managedNodeGroups.0.cluster: managed node group mng-a: cluster staging is not in fleet.clusters',
      'managedNodeGroups.1.launchTemplate: managed node group mng-b: launch template nope is not in fleet.launchTemplates',
      'managedNodeGroups.2.version: managed node group mng-c: launch template mng-win has no version 4 (it has 3)',
      'managedNodeGroups.3.amiType: managed node group mng-d: launch template mng-aws-lt version 1 has no imageId: give an AWS amiType (e.g. WINDOWS_CORE_2022_x86_64) or an imageId',
      'managedNodeGroups.4.amiType: managed node group mng-e: amiType WINDOWS_CORE_2022_x86_64 is an AWS AMI type: launch template mng-aws-lt version 2 must not have an imageId (use amiType CUSTOM)',
      'managedNodeGroups.5.amiType: managed node group mng-f: amiType CUSTOM needs an imageId in launch template mng-aws-lt version 1',
      'managedNodeGroups.6.name: managed node group mng-b: listed twice in cluster prod-eks',
    ]);
    const selfManaged = { ...fleet(), autoScalingGroups: [{ name: 'ng-x', launchTemplate: 'mng-aws-lt' }] };
    expect(issues(selfManaged)).toEqual(['autoScalingGroups.0.version: auto scaling group ng-x: launch template mng-aws-lt version 1 has no imageId (only a managed node group of an AWS AMI type goes without)']);
    const scenario = (faults: unknown[]) => () => parseScenario({ configFile: 'events/ci.config.yml', fleet: fleet(), faults }, 'test.yml', resolve(import.meta.dirname, '../..'));
    expect(scenario([{ kind: 'nodegroupUpdateFailure', nodegroup: 'mng-a', error: 'AsgInstanceLaunchFailures' }])().faults).toHaveLength(1);
    expect(scenario([{ kind: 'nodegroupUpdateFailure', nodegroup: 'mng-z' }])).toThrow(/fault nodegroupUpdateFailure: mng-z is not a managed node group of the fleet/);
    expect(scenario([{ kind: 'nodegroupUpdateFailure', nodegroup: 'mng-a', cluster: 'staging' }])).toThrow(/mng-a is not a managed node group of the fleet in cluster staging/);
  });
});

describe('managed node groups: UpdateNodegroupVersion validation', () => {
  it('refuses what EKS refuses, with its error names', async () => {
    clock = installClock(START_ISO);
    const a = account();
    sim = installSimulation(a);
    const other = Object.values((a.snapshot() as { launchTemplates: Record<string, { id: string; name: string }> }).launchTemplates).find((l) => l.name === 'other-lt')!;
    const send = (input: Record<string, unknown>) => eks.send(new UpdateNodegroupVersionCommand({ clusterName: 'prod-eks', nodegroupName: 'mng-a', ...input } as never));
    await expect(send({ clusterName: 'staging', launchTemplate: { name: 'mng-win', version: '2' } })).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(send({ nodegroupName: 'mng-z', launchTemplate: { name: 'mng-win', version: '2' } })).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'No node group found for name: mng-z.' });
    await expect(send({ launchTemplate: { id: other.id, version: '1' } })).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('is not the launch template of node group mng-a') });
    await expect(send({ launchTemplate: { name: 'other-lt', version: '1' } })).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('only its version can change') });
    await expect(send({ launchTemplate: { version: '2' } })).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'launchTemplate needs an id or a name.' });
    await expect(send({ launchTemplate: { name: 'mng-win', version: '9' } })).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(/^Launch template version 9 does not exist/) });
    await expect(send({ launchTemplate: { name: 'mng-win', version: '$Latest' } })).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Launch template version $Latest is not a version number.' });
    await expect(send({})).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('give launchTemplate') });
    await expect(send({ launchTemplate: { name: 'mng-win', version: '2' }, releaseVersion: '1.31.0-20261015' })).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(send({ nodegroupName: 'mng-aws', launchTemplate: { name: 'mng-aws-lt', version: '2' } })).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('uses amiType WINDOWS_CORE_2022_x86_64: launch template version 2 specifies an ImageId'),
    });
    // Nothing was accepted: the node group is as it was.
    expect(await describeNg()).toMatchObject({ status: 'ACTIVE', launchTemplate: { version: '1' } });
    expect((await eks.send(new ListUpdatesCommand({ name: 'prod-eks', nodegroupName: 'mng-a' }))).updateIds).toEqual([]);
  });

  it('answers a repeated clientRequestToken with the first update', async () => {
    clock = installClock(START_ISO);
    sim = installSimulation(account());
    const first = await update('2', { clientRequestToken: 'tok-1' });
    await advance(clock, MIN);
    const second = await update('2', { clientRequestToken: 'tok-1' });
    expect(second.update?.id).toBe(first.update?.id);
    await expect(update('3', { clientRequestToken: 'tok-1' })).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('tok-1') });
    expect((await eks.send(new ListUpdatesCommand({ name: 'prod-eks', nodegroupName: 'mng-a' }))).updateIds).toEqual([first.update?.id]);
  });

  it('refuses a second update while one is in progress (ResourceInUseException), and a cluster that is not ACTIVE (ClientException)', async () => {
    clock = installClock(START_ISO);
    sim = installSimulation(account());
    const { update: u } = await update('2');
    expect(u).toMatchObject({ status: 'InProgress', type: 'VersionUpdate', errors: [] });
    expect(u?.params).toContainEqual({ type: 'LaunchTemplateVersion', value: '2' });
    expect(u?.params).toContainEqual({ type: 'Force', value: 'false' });
    await advance(clock, 5 * MIN);
    await expect(update('3')).rejects.toMatchObject({ name: 'ResourceInUseException', message: `Nodegroup mng-a is currently being updated (update ${u?.id}).` });
    expect((await eks.send(new ListUpdatesCommand({ name: 'prod-eks', nodegroupName: 'mng-a' }))).updateIds).toEqual([u?.id]);
    await expect(eks.send(new DescribeUpdateCommand({ name: 'prod-eks', nodegroupName: 'mng-a', updateId: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', message: 'No update found for ID: nope.' });
    sim.restore();
    sim = installSimulation(account([], fleet({ clusters: { status: 'UPDATING' } })));
    await expect(update('2')).rejects.toMatchObject({ name: 'ClientException' });
  });
});

describe('managed node groups: an update over simulated time', () => {
  it('replaces the instances one batch at a time (new Ready first, old drained through evictions), then Successful with the ASG and node group on the new version', async () => {
    clock = installClock(START_ISO);
    const a = account();
    sim = installSimulation(a);
    const asgName = nodegroupAsgName('prod-eks', 'mng-a');
    const oldIds = a.instances(asgName).map((i) => i.instanceId);
    const { update: u } = await update('2');
    // Setup phase: the ASG takes the new version at once; the node group's own version moves when the update succeeds.
    expect((await asgOf()).LaunchTemplate?.Version).toBe('2');
    expect(await describeNg()).toMatchObject({ status: 'UPDATING', launchTemplate: { version: '1' } });
    await advance(clock, 2 * MIN);
    // Scale up: one new instance (maxUnavailable 1), still Pending; the desired size rises with it.
    expect(a.instances(asgName)).toHaveLength(4);
    expect((await asgOf()).DesiredCapacity).toBe(4);
    await advance(clock, 8 * MIN);
    expect((await describeUpdate(u!.id!)).status).toBe('InProgress');
    // By now the first old node has been drained and terminated.
    expect(a.instances(asgName).filter((i) => oldIds.includes(i.instanceId))).toHaveLength(2);
    await advance(clock, 30 * MIN);
    const done = await describeUpdate(u!.id!);
    expect(done).toMatchObject({ status: 'Successful', errors: [] });
    const instances = a.instances(asgName);
    expect(instances).toHaveLength(3);
    expect(instances.every((i) => i.launchTemplateVersion === '2' && i.imageId === AMI_2022B && !oldIds.includes(i.instanceId))).toBe(true);
    expect(await describeNg()).toMatchObject({ status: 'ACTIVE', launchTemplate: { version: '2' }, releaseVersion: AMI_2022B });
    const cluster = a.clusters().get('prod-eks')!;
    const evicted = cluster.events.filter((e) => e.kind === 'evicted' && e.pod.startsWith('default/web-'));
    expect(evicted.length).toBeGreaterThanOrEqual(3);
    expect(cluster.events.filter((e) => e.kind === 'pdbViolated')).toEqual([]);
    expect(cluster.deletedWithoutEviction()).toEqual([]);
    expect(cluster.events.filter((e) => e.kind === 'cordoned')).toHaveLength(3);
    const web = [...cluster.pods.values()].filter((p) => p.workload === 'web' && cluster.podReady(p));
    expect(web).toHaveLength(3);
    const newNodes = new Set([...cluster.nodes.values()].filter((n) => n.asgName === asgName).map((n) => n.name));
    expect(newNodes.size).toBe(3);
    expect(web.every((p) => newNodes.has(p.nodeName ?? ''))).toBe(true);
    expect([...cluster.nodes.values()].filter((n) => n.asgName === asgName).every((n) => n.labels['eks.amazonaws.com/sourceLaunchTemplateVersion'] === '2')).toBe(true);
  });

  it('maxUnavailable 2 replaces two at a time (fewer batches, same result)', async () => {
    clock = installClock(START_ISO);
    const a = account([], fleet({ managedNodeGroups: [{ cluster: 'prod-eks', name: 'mng-a', launchTemplate: 'mng-win', instances: 3, maxUnavailable: 2 }] }));
    sim = installSimulation(a);
    const asgName = nodegroupAsgName('prod-eks', 'mng-a');
    const { update: u } = await update('2');
    await advance(clock, 2 * MIN);
    expect(a.instances(asgName)).toHaveLength(5);
    await advance(clock, 30 * MIN);
    expect((await describeUpdate(u!.id!)).status).toBe('Successful');
    expect(a.instances(asgName).map((i) => i.launchTemplateVersion)).toEqual(['2', '2', '2']);
    expect(a.clusters().get('prod-eks')!.events.filter((e) => e.kind === 'pdbViolated')).toEqual([]);
  });
});

describe('managed node groups: failures (no rollback)', () => {
  it('a nodegroupUpdateFailure fault ends the update Failed with EKS errors after the given batches; what was replaced stays replaced; an update back to the old version works', async () => {
    clock = installClock(START_ISO);
    const a = account([{ kind: 'nodegroupUpdateFailure', nodegroup: 'mng-a', error: 'AsgInstanceLaunchFailures', afterBatches: 1, times: 1 }]);
    sim = installSimulation(a);
    const asgName = nodegroupAsgName('prod-eks', 'mng-a');
    const oldIds = a.instances(asgName).map((i) => i.instanceId);
    const { update: u } = await update('2');
    await advance(clock, 40 * MIN);
    const failed = await describeUpdate(u!.id!);
    expect(failed.status).toBe('Failed');
    expect(failed.errors).toEqual([{ errorCode: 'AsgInstanceLaunchFailures', errorMessage: expect.stringContaining('Could not launch On-Demand Instances'), resourceIds: [asgName] }]);
    // EKS has no automatic rollback: one instance is on version 2, two on version 1; the ASG stays on 2, the node group on 1.
    expect(a.instances(asgName).map((i) => i.launchTemplateVersion).sort()).toEqual(['1', '1', '2']);
    expect((await asgOf()).LaunchTemplate?.Version).toBe('2');
    expect(await describeNg()).toMatchObject({ status: 'ACTIVE', launchTemplate: { version: '1' } });
    // Back to version 1 like any update: only the instance on version 2 is replaced.
    const { update: back } = await update('1');
    await advance(clock, 20 * MIN);
    expect((await describeUpdate(back!.id!)).status).toBe('Successful');
    const after = a.instances(asgName);
    expect(after.map((i) => i.launchTemplateVersion)).toEqual(['1', '1', '1']);
    expect(after.filter((i) => oldIds.includes(i.instanceId))).toHaveLength(2);
    expect((await asgOf()).LaunchTemplate?.Version).toBe('1');
    expect((await eks.send(new ListUpdatesCommand({ name: 'prod-eks', nodegroupName: 'mng-a' }))).updateIds).toEqual([u?.id, back?.id]);
    expect(a.clusters().get('prod-eks')!.events.filter((e) => e.kind === 'pdbViolated')).toEqual([]);
  });

  it('a budget that never allows (evictionBlocked) fails a non-force update with PodEvictionFailure after 15 minutes on the node', async () => {
    clock = installClock(START_ISO);
    const a = account([{ kind: 'evictionBlocked', pdb: 'web-pdb' }]);
    sim = installSimulation(a);
    const asgName = nodegroupAsgName('prod-eks', 'mng-a');
    const start = clock.now();
    const { update: u } = await update('2');
    // The new node is Ready and the drain starts at +8 min (durations.instanceLaunch); 15 minutes of refused evictions follow.
    await advance(clock, 8 * MIN + 14 * MIN);
    expect((await describeUpdate(u!.id!)).status).toBe('InProgress');
    await advance(clock, 2 * MIN);
    const failed = await describeUpdate(u!.id!);
    expect(failed.status).toBe('Failed');
    const cluster = a.clusters().get('prod-eks')!;
    const cordoned = cluster.events.find((e) => e.kind === 'cordoned');
    expect(cordoned).toMatchObject({ at: start + 8 * MIN });
    expect(failed.errors).toEqual([{ errorCode: 'PodEvictionFailure', errorMessage: 'Reached max retries while trying to evict pods from nodes in node group mng-a', resourceIds: [cordoned && 'node' in cordoned ? cordoned.node : ''] }]);
    expect(cluster.events.filter((e) => e.kind === 'evictionRefused').length).toBeGreaterThan(100);
    expect(cluster.events.filter((e) => e.kind === 'evicted')).toEqual([]);
    // Nothing terminated: the new instance stays, the old node stays cordoned.
    expect(a.instances(asgName)).toHaveLength(4);
    expect(cluster.deletedWithoutEviction()).toEqual([]);
  });

  it('with force, the pods a budget keeps are deleted without eviction (counted) and the update succeeds', async () => {
    clock = installClock(START_ISO);
    const a = account([{ kind: 'evictionBlocked', pdb: 'web-pdb' }]);
    sim = installSimulation(a);
    const { update: u } = await update('2', { force: true });
    expect(u?.params).toContainEqual({ type: 'Force', value: 'true' });
    await advance(clock, 90 * MIN);
    expect((await describeUpdate(u!.id!)).status).toBe('Successful');
    const cluster = a.clusters().get('prod-eks')!;
    expect(cluster.deletedWithoutEviction().filter((p) => p.startsWith('default/web-')).length).toBeGreaterThanOrEqual(3);
    expect(a.instances(nodegroupAsgName('prod-eks', 'mng-a')).map((i) => i.launchTemplateVersion)).toEqual(['2', '2', '2']);
  });

  it('new nodes that never turn Ready fail the update with NodeCreationFailure naming the instances', async () => {
    clock = installClock(START_ISO);
    const a = account([{ kind: 'nodesNeverReady', amiId: AMI_2022B }]);
    sim = installSimulation(a);
    const { update: u } = await update('2');
    await advance(clock, 30 * MIN);
    const failed = await describeUpdate(u!.id!);
    expect(failed).toMatchObject({ status: 'Failed', errors: [{ errorCode: 'NodeCreationFailure', resourceIds: [expect.stringMatching(/^i-[0-9a-f]{17}$/)] }] });
    expect(a.instances(nodegroupAsgName('prod-eks', 'mng-a'))).toHaveLength(4);
  });

  it('keeps the state JSON and reads pure', async () => {
    clock = installClock(START_ISO);
    const a = account();
    sim = installSimulation(a);
    await update('2');
    await advance(clock, 12 * MIN);
    const before = JSON.stringify(a.snapshot());
    await describeNg();
    await asgOf();
    a.instanceHistory();
    expect(JSON.stringify(a.snapshot())).toBe(before);
  });
});
