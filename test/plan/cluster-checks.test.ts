import { DescribeClusterCommand, EKSClient, ResourceNotFoundException, type Cluster } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { HttpMethod, KubernetesResponse } from '../../lib/kubernetes/client.js';
import type { RunPlan } from '../../lib/plan/types.js';
import { generateScenario, rehearse, writes, type RehearsalReport, type Scenario } from '../support/rehearse.js';

/**
 * The plan's checks of each cluster, before any write. Until the simulated account has EKS and a
 * Kubernetes API (local/sim/eks.ts, local/sim/kubernetes/endpoint.ts), DescribeCluster is mocked here
 * and kubernetesFor hands out a client over a test transport.
 */
const api = vi.hoisted(() => ({
  answer: (async () => ({ status: 200, body: { items: [] } })) as (method: string, path: string) => Promise<{ status: number; body: unknown }>,
  calls: [] as { cluster: string; method: string; path: string }[],
}));
vi.mock('../../lib/kubernetes/connect.js', async () => {
  const { KubernetesClient } = await import('../../lib/kubernetes/client.js');
  return {
    kubernetesFor: async (cluster: string) =>
      new KubernetesClient((method: HttpMethod, path: string): Promise<KubernetesResponse> => {
        api.calls.push({ cluster, method, path });
        return api.answer(method, path);
      }),
  };
});

const eks = mockClient(EKSClient);
const ACTIVE: Cluster = {
  name: 'prod',
  status: 'ACTIVE',
  endpoint: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com',
  certificateAuthority: { data: Buffer.from('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n').toString('base64') },
  version: '1.31',
  accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
  resourcesVpcConfig: { endpointPublicAccess: true, endpointPrivateAccess: true, publicAccessCidrs: ['0.0.0.0/0'], vpcId: 'vpc-0123456789abcdef0' },
};

beforeEach(() => {
  eks.reset();
  eks.on(DescribeClusterCommand).callsFake((input: { name: string }) => ({ cluster: { ...ACTIVE, name: input.name } }));
  api.calls = [];
  api.answer = async () => ({ status: 200, body: { items: [] } });
});

const G0 = 'ng-win2022-core-131-0000';
const G1 = 'ng-win2022-core-131-0001';
const planFailure = (report: RehearsalReport) => report.notifications.find((n) => n.subject?.startsWith('FAILED plan'))?.message ?? '';
const touched = (report: RehearsalReport) => writes(report).filter((c) => !['StartExecution', 'Publish'].includes(c.operation));
const described = () => eks.commandCalls(DescribeClusterCommand).map((c) => c.args[0].input.name);

/** Two 2022 groups tagged with cluster `prod`, without termination hooks of their own; a dry-run unless `real`. */
function clustered(edit: (s: Scenario) => void = () => {}, real = false): Scenario {
  const s = generateScenario({
    variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }],
    nodeGroups: 2,
    asg: () => ({ tags: { 'eks:cluster-name': 'prod' }, terminationHook: false }),
    ...(real ? {} : { input: { dryRun: true } }),
  });
  edit(s);
  return s;
}

describe('the plan checks each cluster once, before any write', () => {
  it('describes and probes a cluster once for all its groups, and plans gate and our drain for each', async () => {
    const report = await rehearse(clustered());

    expect(report.status).toBe('SUCCEEDED');
    expect(described()).toEqual(['prod']);
    expect(api.calls).toEqual([{ cluster: 'prod', method: 'GET', path: '/api/v1/nodes?limit=1' }]);
    const plan = report.run.output as RunPlan;
    expect(plan.variants[0]?.waves.flat().map((g) => g.kubernetes)).toEqual([
      { cluster: 'prod', gate: true, drain: 'ours' },
      { cluster: 'prod', gate: true, drain: 'ours' },
    ]);
    expect(plan.lifecycleHooks).toEqual({ ready: 'eks-windows-patch-rehearsal-ready', drain: 'eks-windows-patch-rehearsal-drain' });
  });

  it('refuses a cluster EKS does not know, naming it and the region', async () => {
    eks.on(DescribeClusterCommand).rejects(new ResourceNotFoundException({ message: 'No cluster found for name: prod.', $metadata: {} }));

    const report = await rehearse(clustered(undefined, true));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain('cluster prod not found in us-west-2: check cluster: in config');
    expect(touched(report)).toEqual([]);
  });

  it.each([
    ['not ACTIVE', { status: 'UPDATING' }, 'cluster prod is UPDATING, not ACTIVE'],
    ['CONFIG_MAP authentication', { accessConfig: { authenticationMode: 'CONFIG_MAP' } }, 'aws eks update-cluster-config --name prod --access-config authenticationMode=API_AND_CONFIG_MAP'],
    ['a private-only endpoint without kubernetes.vpc', { resourcesVpcConfig: { endpointPublicAccess: false, endpointPrivateAccess: true, vpcId: 'vpc-0123456789abcdef0' } }, 'cluster prod has a private endpoint only, so Lambdas outside its VPC cannot reach it: set kubernetes.vpc'],
  ] as [string, Partial<Cluster>, string][])('refuses %s with the fix, and writes nothing', async (_what, change, message) => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { ...ACTIVE, ...change } });

    const report = await rehearse(clustered(undefined, true));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(message);
    expect(api.calls).toEqual([]);
    expect(touched(report)).toEqual([]);
  });

  it.each([
    [401, "no EKS access entry maps this stack's roles: deploy the stack with the cluster in config (it creates the access entry)"],
    [403, 'apply the RBAC manifest: kubectl apply -f resources/kubernetes-rbac.yaml'],
  ])('refuses a cluster that answers %i to the probe, with the fix, and writes nothing', async (status, message) => {
    api.answer = async () => ({ status, body: { kind: 'Status', status: 'Failure', code: status, message: 'nope' } });

    const report = await rehearse(clustered(undefined, true));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`cluster prod `);
    expect(planFailure(report)).toContain(message);
    expect(touched(report)).toEqual([]);
  });

  it('refuses an unreachable API server, naming the endpoint and the fix', async () => {
    api.answer = async () => Promise.reject(Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:443'), { code: 'ETIMEDOUT' }));

    const report = await rehearse(clustered(undefined, true));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`cluster prod: the Kubernetes API at ${ACTIVE.endpoint} is not reachable from the Lambda (connect ETIMEDOUT 10.0.0.1:443)`);
    expect(planFailure(report)).toContain('or set kubernetes.vpc to subnets that reach its private endpoint');
    expect(api.calls).toHaveLength(3);
    expect(touched(report)).toEqual([]);
  });
});

describe('which cluster, which drainer', () => {
  it('keeps another drainer\'s termination hook and says the drain is assumed; only the readiness hook is added', async () => {
    const report = await rehearse(clustered((s) => s.fleet.autoScalingGroups.forEach((g) => (g.terminationHook = g.name === G1))));

    const plan = report.run.output as RunPlan;
    const groups = plan.variants[0]?.waves.flat() ?? [];
    expect(groups.find((g) => g.asgName === G1)?.kubernetes).toEqual({ cluster: 'prod', gate: true, drain: { assumed: `${G1}-node-drain` } });
    expect(plan.notice.message).toContain(`${G1}: launch template`);
    expect(plan.notice.message).toMatch(new RegExp(`${G1}: .*; cluster prod: readiness gate, drain assumed by ${G1}-node-drain`));
    expect(plan.notice.message).toMatch(new RegExp(`${G0}: .*; cluster prod: readiness gate, drain\\n`));
    expect(plan.notice.message).toContain("lifecycle hooks added for the duration of each group's refresh: eks-windows-patch-rehearsal-ready (readiness gate) on 2, eks-windows-patch-rehearsal-drain (drain) on 1 node group(s)");
    expect(plan.notice.message).toContain("1 node group(s) keep another drainer's termination hook (drain assumed)");
  });

  it('takes the node group\'s cluster over the variant\'s and over tags', async () => {
    const report = await rehearse(
      clustered((s) => {
        const [variant] = s.config.variants;
        if (!variant) throw new Error('no variant');
        variant.cluster = 'staging';
        variant.nodeGroups = variant.nodeGroups.map((g) => (g.asgName === G1 ? { ...g, cluster: 'prod-2' } : g));
      }),
    );

    expect(report.status).toBe('SUCCEEDED');
    expect(described().sort()).toEqual(['prod-2', 'staging']);
    expect((report.run.output as RunPlan).variants[0]?.waves.flat().map((g) => g.kubernetes?.cluster)).toEqual(['staging', 'prod-2']);
  });

  it('refuses a group tagged with two clusters, naming both', async () => {
    const report = await rehearse(clustered((s) => void (s.fleet.autoScalingGroups[1]!.tags = { 'eks:cluster-name': 'prod', 'kubernetes.io/cluster/old': 'owned' }), true));

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`ASG ${G1} is tagged with two EKS clusters, prod (eks:cluster-name) and old (kubernetes.io/cluster/old)`);
    // The other group's cluster is still checked: every problem is listed at once.
    expect(described()).toEqual(['prod']);
    expect(touched(report)).toEqual([]);
  });

  it('refuses a group without a known cluster while the gate is explicitly on', async () => {
    const report = await rehearse(
      clustered((s) => {
        s.fleet.autoScalingGroups.forEach((g) => (g.tags = {}));
        s.config.kubernetes = { ...s.config.kubernetes, readinessGate: true };
      }, true),
    );

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`ASG ${G0}: its EKS cluster is unknown (no cluster: in config, no cluster tag on the ASG), but kubernetes.readinessGate is true: add cluster: <name>`);
    expect(touched(report)).toEqual([]);
  });

  it('plans groups without a known cluster without gate and drain by default, and warns', async () => {
    const report = await rehearse(clustered((s) => s.fleet.autoScalingGroups.forEach((g) => (g.tags = {}))));

    const plan = report.run.output as RunPlan;
    expect(report.status).toBe('SUCCEEDED');
    expect(plan.variants[0]?.waves.flat().map((g) => g.kubernetes)).toEqual([undefined, undefined]);
    expect(plan.lifecycleHooks).toBeUndefined();
    expect(plan.warnings).toContain(`win2022-core-131: no EKS cluster known for 2 node group(s) (${G0}, ${G1}): planned without readiness gate and drain; add cluster: <name> to the variant or its node groups in config, or tag the ASGs eks:cluster-name`);
    expect(described()).toEqual([]);
  });
});
