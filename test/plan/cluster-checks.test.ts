import { describe, expect, it } from 'vitest';
import { ClusterSpecSchema, type ClusterSpec } from '../../local/sim/fleet.js';
import type { RunPlan } from '../../lib/plan/types.js';
import { generateScenario, rehearse, touched, type RehearsalReport, type Scenario } from '../support/rehearse.js';

/**
 * The plan's checks of each cluster, before any write, against the simulated account: EKS answers
 * DescribeCluster from fleet.clusters (local/sim/eks.ts) and each cluster's Kubernetes API answers the
 * Lambdas' node:https requests (local/sim/kubernetes/endpoint.ts). Every failure is a fact of the account.
 */

const G0 = 'ng-win2022-core-131-0000';
const G1 = 'ng-win2022-core-131-0001';
const ENDPOINT = /https:\/\/[0-9A-F]{32}\.gr7\.us-west-2\.eks\.amazonaws\.com/;
const planFailure = (report: RehearsalReport) => report.notifications.find((n) => n.subject?.startsWith('FAILED plan'))?.message ?? '';
/** The clusters DescribeCluster was asked for, in order (errors included). */
const described = (report: RehearsalReport) => report.calls.filter((c) => c.service === 'EKS' && c.operation === 'DescribeCluster').map((c) => (c.input as { name?: string }).name);
/** The Kubernetes probes (a list of one node), with their outcome. */
const probes = (report: RehearsalReport) =>
  report.calls.filter((c) => c.service === 'Kubernetes' && c.operation === 'ListNodes').map((c) => ({ path: (c.input as { path?: string }).path, ...(c.error ? { error: c.error } : {}) }));
const cluster = (name: string, spec: Partial<ClusterSpec> = {}): ClusterSpec => ClusterSpecSchema.parse({ name, ...spec });

/**
 * Two 2022 groups in cluster `prod` (their ASGs tagged by eksctl: alpha.eksctl.io/cluster-name,
 * kubernetes.io/cluster/prod), without termination hooks of their own; a dry-run unless `real`.
 * `prod` is in the account as `spec` makes it, or not at all when spec is null.
 */
function clustered(edit: (s: Scenario) => void = () => {}, real = false, spec: Partial<ClusterSpec> | null = {}): Scenario {
  const s = generateScenario({
    variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }],
    nodeGroups: 2,
    asg: () => (spec ? { cluster: 'prod', terminationHook: false } : { tags: { 'eks:cluster-name': 'prod' }, terminationHook: false }),
    ...(real ? {} : { input: { dryRun: true } }),
  });
  if (spec) s.fleet.clusters.push(cluster('prod', spec));
  edit(s);
  return s;
}

describe('the plan checks each cluster once, before any write', () => {
  it('describes and probes a cluster once for all its groups, and plans gate and our drain for each', async () => {
    const report = await rehearse(clustered());

    expect(report.status).toBe('SUCCEEDED');
    expect(described(report)).toEqual(['prod']);
    expect(probes(report)).toEqual([{ path: '/api/v1/nodes?limit=1' }]);
    const plan = report.run.output as RunPlan;
    expect(plan.variants[0]?.waves.flat().map((g) => g.kubernetes)).toEqual([
      { cluster: 'prod', gate: true, drain: 'ours' },
      { cluster: 'prod', gate: true, drain: 'ours' },
    ]);
    expect(plan.lifecycleHooks).toEqual({ ready: 'eks-windows-patch-rehearsal-ready', drain: 'eks-windows-patch-rehearsal-drain' });
  });

  it('refuses a cluster EKS does not know, naming it and the region', async () => {
    // The ASGs are tagged eks:cluster-name=prod, but the account has no cluster prod (ResourceNotFoundException).
    const report = await rehearse(clustered(undefined, true, null));

    expect(report.status).toBe('FAILED');
    expect(report.calls.filter((c) => c.service === 'EKS').map((c) => c.error)).toEqual(['ResourceNotFoundException']);
    expect(planFailure(report)).toContain('cluster prod not found in us-west-2: check cluster: in config');
    expect(probes(report)).toEqual([]);
    expect(touched(report)).toEqual([]);
  });

  it.each([
    ['not ACTIVE', { status: 'UPDATING' }, 'cluster prod is UPDATING, not ACTIVE'],
    ['CONFIG_MAP authentication', { authenticationMode: 'CONFIG_MAP' }, 'aws eks update-cluster-config --name prod --access-config authenticationMode=API_AND_CONFIG_MAP'],
    ['a private-only endpoint without kubernetes.vpc', { endpointAccess: 'private' }, 'cluster prod has a private endpoint only, so Lambdas outside its VPC cannot reach it: set kubernetes.vpc'],
  ] as [string, Partial<ClusterSpec>, string][])('refuses %s with the fix, without probing, and writes nothing', async (_what, spec, message) => {
    const report = await rehearse(clustered(undefined, true, spec));

    expect(report.status).toBe('FAILED');
    expect(described(report)).toEqual(['prod']);
    expect(planFailure(report)).toContain(message);
    expect(probes(report)).toEqual([]);
    expect(touched(report)).toEqual([]);
  });

  it.each([
    [{ accessEntry: false }, 'Unauthorized', "cluster prod refused this stack's token (401): no EKS access entry maps this stack's roles: deploy the stack with the cluster in config (it creates the access entry)"],
    [{ rbacApplied: false }, 'Forbidden', "cluster prod forbids listing nodes to this stack's role (403): apply the RBAC manifest: kubectl apply -f resources/kubernetes-rbac.yaml"],
  ] as [Partial<ClusterSpec>, string, string][])('refuses a cluster whose API refuses the probe (%o), with the fix, and writes nothing', async (spec, reason, message) => {
    const report = await rehearse(clustered(undefined, true, spec));

    expect(report.status).toBe('FAILED');
    expect(described(report)).toEqual(['prod']);
    expect(probes(report)).toEqual([{ path: '/api/v1/nodes?limit=1', error: reason }]);
    expect(planFailure(report)).toContain(message);
    expect(touched(report)).toEqual([]);
  });

  it('refuses an unreachable API server, naming the endpoint and the fix', async () => {
    const report = await rehearse(clustered(undefined, true, { apiReachable: false }));

    expect(report.status).toBe('FAILED');
    const failure = planFailure(report);
    expect(failure).toMatch(new RegExp(`cluster prod: the Kubernetes API at ${ENDPOINT.source} is not reachable from the Lambda \\(Kubernetes API GET /api/v1/nodes\\?limit=1 timed out`));
    expect(failure).toContain('allow the Lambdas\' egress to it (public access CIDRs: 0.0.0.0/0), or set kubernetes.vpc to subnets that reach its private endpoint');
    // The transport's own timeout (10 s) ends the attempt before the connect would fail: one probe, not retried.
    expect(probes(report)).toEqual([{ path: '/api/v1/nodes?limit=1', error: 'Timeout' }]);
    expect(touched(report)).toEqual([]);
  });
});

describe('which cluster, which drainer', () => {
  it("keeps another drainer's termination hook and says the drain is assumed; only the readiness hook is added", async () => {
    const report = await rehearse(clustered((s) => s.fleet.autoScalingGroups.forEach((g) => (g.terminationHook = g.name === G1))));

    expect(report.status).toBe('SUCCEEDED');
    const plan = report.run.output as RunPlan;
    const groups = plan.variants[0]?.waves.flat() ?? [];
    expect(groups.find((g) => g.asgName === G0)?.kubernetes).toEqual({ cluster: 'prod', gate: true, drain: 'ours' });
    expect(groups.find((g) => g.asgName === G1)?.kubernetes).toEqual({ cluster: 'prod', gate: true, drain: { assumed: `${G1}-node-drain` } });
    expect(plan.notice.message).toContain(`${G1}: launch template`);
    expect(plan.notice.message).toMatch(new RegExp(`${G1}: .*; cluster prod: readiness gate, drain assumed by ${G1}-node-drain`));
    expect(plan.notice.message).toMatch(new RegExp(`${G0}: .*; cluster prod: readiness gate, drain\\n`));
    expect(plan.notice.message).toContain("lifecycle hooks added for the duration of each group's refresh: eks-windows-patch-rehearsal-ready (readiness gate) on 2, eks-windows-patch-rehearsal-drain (drain) on 1 node group(s)");
    expect(plan.notice.message).toContain("1 node group(s) keep another drainer's termination hook (drain assumed)");
  });

  it("takes the node group's cluster over the variant's and over tags", async () => {
    const report = await rehearse(
      clustered((s) => {
        // Both ASGs are in (and tagged with) prod; the variant says staging, G1 says prod-2. All three exist.
        s.fleet.clusters.push(cluster('staging'), cluster('prod-2'));
        const [variant] = s.config.variants;
        if (!variant) throw new Error('no variant');
        variant.cluster = 'staging';
        variant.nodeGroups = variant.nodeGroups.map((g) => (g.asgName === G1 ? { ...g, cluster: 'prod-2' } : g));
      }),
    );

    expect(report.status).toBe('SUCCEEDED');
    expect(described(report).sort()).toEqual(['prod-2', 'staging']);
    expect(probes(report)).toHaveLength(2);
    expect((report.run.output as RunPlan).variants[0]?.waves.flat().map((g) => g.kubernetes?.cluster)).toEqual(['staging', 'prod-2']);
  });

  it('refuses a group tagged with two clusters, naming both', async () => {
    const report = await rehearse(
      clustered((s) => {
        const g1 = s.fleet.autoScalingGroups[1];
        if (!g1) throw new Error('no second group');
        delete g1.cluster;
        g1.tags = { 'eks:cluster-name': 'prod', 'kubernetes.io/cluster/old': 'owned' };
      }, true),
    );

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`ASG ${G1} is tagged with two EKS clusters, prod (eks:cluster-name) and old (kubernetes.io/cluster/old)`);
    // The other group's cluster is still checked: every problem is listed at once.
    expect(described(report)).toEqual(['prod']);
    expect(probes(report)).toHaveLength(1);
    expect(touched(report)).toEqual([]);
  });

  it('refuses a group without a known cluster while the gate is explicitly on', async () => {
    const report = await rehearse(
      clustered(
        (s) => {
          s.fleet.autoScalingGroups.forEach((g) => (g.tags = {}));
          s.config.kubernetes = { ...s.config.kubernetes, readinessGate: true };
        },
        true,
        null,
      ),
    );

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`ASG ${G0}: its EKS cluster is unknown (no cluster: in config, no cluster tag on the ASG), but kubernetes.readinessGate is true: add cluster: <name>`);
    expect(described(report)).toEqual([]);
    expect(touched(report)).toEqual([]);
  });

  it('plans groups without a known cluster without gate and drain by default, and warns', async () => {
    const report = await rehearse(clustered((s) => s.fleet.autoScalingGroups.forEach((g) => (g.tags = {})), false, null));

    const plan = report.run.output as RunPlan;
    expect(report.status).toBe('SUCCEEDED');
    expect(plan.variants[0]?.waves.flat().map((g) => g.kubernetes)).toEqual([undefined, undefined]);
    expect(plan.lifecycleHooks).toBeUndefined();
    expect(plan.warnings).toContain(`win2022-core-131: no EKS cluster known for 2 node group(s) (${G0}, ${G1}): planned without readiness gate and drain; add cluster: <name> to the variant or its node groups in config, or tag the ASGs eks:cluster-name`);
    expect(described(report)).toEqual([]);
    expect(probes(report)).toEqual([]);
  });
});
