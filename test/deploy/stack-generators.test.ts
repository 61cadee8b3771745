import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { parse, stringify } from 'yaml';
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
        ['CheckAccess', 'CheckNewNode', 'CheckWave', 'DrainOldNode', 'StartInstanceRefreshes'].map((r) => `${c} {"Fn::GetAtt":["${r}IamRoleLambdaExecution","Arn"]}`),
      ),
    );
    expect(entries.every((e) => JSON.stringify(e.Properties.KubernetesGroups) === '["eks-windows-patch"]' && e.Properties.Type === 'STANDARD')).toBe(true);
  });

  type GroupStatement = { Resource: { 'Fn::Sub': string }[]; Condition: Record<string, Record<string, unknown>> };
  type Groups = { groups: { named: GroupStatement; tagged: GroupStatement } };
  const names = (s: GroupStatement) => s.Resource.map((a) => a['Fn::Sub'].split(':autoScalingGroup:*:')[1]);

  it('scopes our Auto Scaling writes to the named groups, and tag-selected groups by an aws:ResourceTag condition', async () => {
    const config = (await generators.config?.(withConfig('clusters.config.yml'))) as Groups;
    expect(names(config.groups.named)).toEqual(['autoScalingGroupName/eks-win2022-batch', 'autoScalingGroupName/eks-win2022-canary']);
    expect(names(config.groups.tagged)).toEqual(['autoScalingGroupName/*']);
    expect(Object.keys(config.groups.tagged.Condition.StringEquals ?? {})).toEqual([expect.stringMatching(/^aws:ResourceTag\//)]);
    const ci = (await generators.config?.(resolver(resolve(import.meta.dirname, '../../events/ci.config.yml')))) as Groups;
    // No tag selector: the tagged statement repeats the named one, never every group.
    expect(ci.groups.tagged).toEqual(ci.groups.named);
    expect(names(ci.groups.named).some((n) => n?.endsWith('/*'))).toBe(false);
  });

  it('refuses tag selectors with two keys, which IAM cannot scope in one statement', async () => {
    const file = resolve(tmpdir(), `two-keys-${process.pid}.yml`);
    const raw = parse(readFileSync(resolve(import.meta.dirname, '../fixtures/clusters.config.yml'), 'utf8')) as { variants: { nodeGroups: unknown[] }[] };
    raw.variants[0]?.nodeGroups.push({ tag: { key: 'other-key', value: 'x' } }, { tag: { key: 'team', value: 'y' } });
    writeFileSync(file, stringify(raw));
    await expect(generators.config?.(resolver(file))).rejects.toThrow(/variants\[\]\.nodeGroups\[\]\.tag: the tag selectors use the keys .*select every tagged group by the same key/);
  });

  it('lets PassRole reach node roles named by the pattern under any IAM path (role/<path>/<name>)', async () => {
    const file = resolve(tmpdir(), `role-pattern-${process.pid}.yml`);
    const raw = parse(readFileSync(resolve(import.meta.dirname, '../../events/ci.config.yml'), 'utf8')) as Record<string, unknown>;
    writeFileSync(file, stringify({ ...raw, iam: { nodeRoleNamePattern: 'eks-win-node-*' } }));
    const config = (await generators.config?.(resolver(file))) as { nodeRoleArns: { 'Fn::Sub': string }[] };
    expect(config.nodeRoleArns.map((a) => a['Fn::Sub'].split(':role/')[1])).toEqual(['eks-win-node-*', '*/eks-win-node-*']);
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
    const config = (await generators.config?.(withConfig('managed.config.yml'))) as Record<'eksNodegroupArns' | 'eksClusterArns', { 'Fn::Sub': string }[]> & Groups;
    expect(config.eksNodegroupArns.map((a) => a['Fn::Sub'])).toEqual([
      'arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:nodegroup/batch-eks/win-batch/*',
      'arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:nodegroup/prod-eks/win-apps/*',
    ]);
    expect(names(config.groups.named)).toEqual(['autoScalingGroupName/eks-win2022-canary']);
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
