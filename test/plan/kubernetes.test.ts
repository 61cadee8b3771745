import { describe, expect, it } from 'vitest';
import { configuredCluster, groupKubernetes } from '../../lib/config/kubernetes.js';
import { hookNames as ourHookNames } from '../../lib/lifecycle/metadata.js';
import { clusterFromTags, kubernetesVerdict, resolveCluster, unknownClusterWarnings } from '../../lib/plan/kubernetes.js';

const defaults = { drain: { timeoutMinutes: 30, onTimeout: 'rollback' as const } };

describe("a node group's cluster", () => {
  it('reads each of the three cluster tags', () => {
    expect(clusterFromTags('a', { 'eks:cluster-name': 'prod' })).toEqual({ cluster: 'prod' });
    expect(clusterFromTags('a', { 'alpha.eksctl.io/cluster-name': 'prod' })).toEqual({ cluster: 'prod' });
    expect(clusterFromTags('a', { 'kubernetes.io/cluster/prod': 'owned' })).toEqual({ cluster: 'prod' });
    expect(clusterFromTags('a', { 'kubernetes.io/cluster/prod': 'shared', 'eks:cluster-name': 'prod', 'alpha.eksctl.io/cluster-name': 'prod' })).toEqual({ cluster: 'prod' });
  });

  it('ignores a kubernetes.io/cluster/ key whose value is neither owned nor shared, and a bare prefix', () => {
    expect(clusterFromTags('a', { 'kubernetes.io/cluster/prod': 'yes', 'kubernetes.io/cluster/': 'owned', team: 'x' })).toEqual({});
  });

  it('refuses two different names, naming both and their tags', () => {
    const { problem, cluster } = clusterFromTags('ng-a', { 'eks:cluster-name': 'prod', 'kubernetes.io/cluster/staging': 'owned' });

    expect(cluster).toBeUndefined();
    expect(problem).toBe('ASG ng-a is tagged with two EKS clusters, prod (eks:cluster-name) and staging (kubernetes.io/cluster/staging): set cluster: on its node group in config, or fix the stale tag');
  });

  it('takes config over tags, and the node group selector over the variant', () => {
    expect(resolveCluster('a', 'from-config', { 'eks:cluster-name': 'prod', 'kubernetes.io/cluster/staging': 'owned' })).toEqual({ cluster: 'from-config' });
    expect(configuredCluster({ cluster: 'variant' }, { cluster: 'group' })).toBe('group');
    expect(configuredCluster({ cluster: 'variant' }, {})).toBe('variant');
    expect(configuredCluster({}, undefined)).toBeUndefined();
  });
});

describe('gate and drain per group', () => {
  it('are on by default when the cluster is known, off otherwise; false turns each off', () => {
    expect(groupKubernetes(defaults, 'prod')).toEqual({ cluster: 'prod', gate: true, drain: true });
    expect(groupKubernetes(defaults, undefined)).toEqual({ cluster: undefined, gate: false, drain: false });
    expect(groupKubernetes({ readinessGate: false, drain: { ...defaults.drain, enabled: false } }, 'prod')).toEqual({ cluster: 'prod', gate: false, drain: false });
  });

  it('adds our drain, unless another drainer owns a termination hook, which is assumed', () => {
    expect(kubernetesVerdict('a', 'prod', defaults, [], 'dev').kubernetes).toEqual({ cluster: 'prod', gate: true, drain: 'ours' });
    expect(kubernetesVerdict('a', 'prod', defaults, ['nth-queue-drain'], 'dev').kubernetes).toEqual({ cluster: 'prod', gate: true, drain: { assumed: 'nth-queue-drain' } });
    // Our own hook, left by an interrupted run, is not another drainer.
    expect(kubernetesVerdict('a', 'prod', defaults, [ourHookNames('dev').drain], 'dev').kubernetes?.drain).toBe('ours');
    expect(kubernetesVerdict('a', 'prod', { drain: { ...defaults.drain, enabled: false } }, [], 'dev').kubernetes?.drain).toBe('off');
  });

  it('refuses an unknown cluster while the gate or the drain is explicitly on, with the fix', () => {
    const both = kubernetesVerdict('ng-a', undefined, { readinessGate: true, drain: { ...defaults.drain, enabled: true } }, [], 'dev');
    const gate = kubernetesVerdict('ng-a', undefined, { readinessGate: true, ...defaults }, [], 'dev');

    expect(both.problems).toEqual(['ASG ng-a: its EKS cluster is unknown (no cluster: in config, no cluster tag on the ASG), but kubernetes.readinessGate and kubernetes.drain.enabled are true: add cluster: <name> to its node group or variant in config']);
    expect(gate.problems).toEqual([expect.stringContaining('but kubernetes.readinessGate is true: add cluster: <name>')]);
  });

  it('plans an unknown cluster without gate and drain by default, and warns once per variant', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

    expect(kubernetesVerdict('ng-a', undefined, defaults, [], 'dev')).toEqual({ problems: [] });
    expect(unknownClusterWarnings(names, defaults)).toEqual([
      'no EKS cluster known for 7 node group(s) (a, b, c, d, e and 2 more): planned without readiness gate and drain; add cluster: <name> to the variant or its node groups in config, or tag the ASGs eks:cluster-name',
    ]);
    expect(unknownClusterWarnings(names, { readinessGate: false, drain: { ...defaults.drain, enabled: false } })).toEqual([]);
    expect(unknownClusterWarnings([], defaults)).toEqual([]);
  });

  it('names our hooks by stage', () => {
    expect(ourHookNames('prod')).toEqual({ ready: 'eks-windows-patch-prod-ready', drain: 'eks-windows-patch-prod-drain' });
  });
});
