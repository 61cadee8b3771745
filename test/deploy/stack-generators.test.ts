import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** scripts/pipeline-config.cjs, the Serverless variable source that turns the config into stack resources. */
const generators = createRequire(import.meta.url)('../../scripts/pipeline-config.cjs') as Record<string, (arg: { resolveVariable: (v: string) => Promise<string> }) => Promise<Record<string, unknown>>>;
/** What Serverless answers the generators: the config file, the stage and the region (`npx serverless package --stage ci`). */
const resolver = (path: string, stage = 'ci', region = 'us-west-2') => ({
  resolveVariable: async (v: string) => ({ 'self:custom.configFile': path, 'sls:stage': stage, 'self:provider.region': region })[v] ?? Promise.reject(new Error(`unexpected variable ${v}`)),
});
const withConfig = (file: string) => resolver(resolve(import.meta.dirname, '../fixtures', file));

describe('the stack resources made from the config', () => {
  it('creates one EKS access entry per named cluster and Kubernetes-talking role, mapped to the RBAC group', async () => {
    const { Resources } = (await generators.accessEntries?.(withConfig('clusters.config.yml'))) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const entries = Object.values(Resources);
    expect(entries.every((e) => e.Type === 'AWS::EKS::AccessEntry')).toBe(true);
    expect(entries.map((e) => `${String(e.Properties.ClusterName)} ${JSON.stringify(e.Properties.PrincipalArn)}`).sort()).toEqual(
      ['batch-eks', 'prod-eks'].flatMap((c) =>
        ['CheckNewNode', 'CheckWave', 'DrainOldNode', 'PlanRun', 'StartInstanceRefreshes'].map((r) => `${c} {"Fn::GetAtt":["${r}IamRoleLambdaExecution","Arn"]}`),
      ),
    );
    expect(entries.every((e) => JSON.stringify(e.Properties.KubernetesGroups) === '["eks-windows-patch"]' && e.Properties.Type === 'STANDARD')).toBe(true);
  });

  it('scopes our hook writes to the named groups, and to every group only when a tag selects some', async () => {
    const config = (await generators.config?.(withConfig('clusters.config.yml'))) as { groupArns: { 'Fn::Sub': string }[] };
    expect(config.groupArns.map((a) => a['Fn::Sub'].split(':autoScalingGroup:*:')[1])).toEqual(['autoScalingGroupName/eks-win2022-batch', 'autoScalingGroupName/eks-win2022-canary', 'autoScalingGroupName/*']);
    const ci = (await generators.config?.(resolver(resolve(import.meta.dirname, '../../events/ci.config.yml')))) as { groupArns: { 'Fn::Sub': string }[] };
    expect(ci.groupArns.some((a) => a['Fn::Sub'].endsWith('autoScalingGroupName/*'))).toBe(false);
  });

  it('creates no access entry when the config names no cluster', async () => {
    const out = (await generators.accessEntries?.(resolver(resolve(import.meta.dirname, '../../events/ci.config.yml')))) as { Resources: object };
    expect(out.Resources).toEqual({});
  });

  it('puts the Kubernetes-talking Lambdas in kubernetes.vpc only when it is set', async () => {
    const vpc = (await generators.config?.(withConfig('vpc.config.yml'))) as { kubernetesVpc: unknown };
    expect(vpc.kubernetesVpc).toEqual({ subnetIds: ['subnet-0123456789abcdef1'], securityGroupIds: ['sg-0123456789abcdef1'] });
    const ci = (await generators.config?.(resolver(resolve(import.meta.dirname, '../../events/ci.config.yml')))) as { kubernetesVpc: unknown };
    expect(ci.kubernetesVpc).toBeNull();
  });

  it('lets the plan describe exactly the configured managed node groups, and adds no ASG or cluster ARN for them', async () => {
    const config = (await generators.config?.(withConfig('managed.config.yml'))) as Record<'eksNodegroupArns' | 'groupArns' | 'eksClusterArns', { 'Fn::Sub': string }[]>;
    expect(config.eksNodegroupArns.map((a) => a['Fn::Sub'])).toEqual([
      'arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:nodegroup/batch-eks/win-batch/*',
      'arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:nodegroup/prod-eks/win-apps/*',
    ]);
    expect(config.groupArns.map((a) => a['Fn::Sub'].split(':autoScalingGroup:*:')[1])).toEqual(['autoScalingGroupName/eks-win2022-canary']);
    expect(config.eksClusterArns.map((a) => a['Fn::Sub'].split(':eks:')[1])).toEqual(['${AWS::Region}:${AWS::AccountId}:cluster/prod-eks']);
    const ci = (await generators.config?.(resolver(resolve(import.meta.dirname, '../../events/ci.config.yml')))) as { eksNodegroupArns: { 'Fn::Sub': string }[] };
    // No managed node group: a node group no cluster can have, since IAM refuses a statement without resources.
    expect(ci.eksNodegroupArns.map((a) => a['Fn::Sub'].split(':nodegroup/')[1])).toEqual(['-/-/*']);
  });

  it('makes access entries only for clusters of self-managed groups, and lets DescribeUpdate name the managed groups\' clusters', async () => {
    const { Resources } = (await generators.accessEntries?.(withConfig('managed.config.yml'))) as { Resources: Record<string, { Properties: { ClusterName: string } }> };
    expect([...new Set(Object.values(Resources).map((e) => e.Properties.ClusterName))]).toEqual(['prod-eks']);
    const config = (await generators.config?.(withConfig('managed.config.yml'))) as { eksUpdateArns: { 'Fn::Sub': string }[] };
    expect(config.eksUpdateArns.map((a) => a['Fn::Sub'].split(':eks:${AWS::Region}:${AWS::AccountId}:')[1]).sort()).toEqual(['cluster/batch-eks', 'cluster/prod-eks', 'nodegroup/batch-eks/win-batch/*', 'nodegroup/prod-eks/win-apps/*']);
  });
});
