import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { TSX } from './support/tsx.js';
import { parseConfig } from '../lib/config.js';
import { sourceParameter } from '../lib/parameters.js';
import { loadConfigScenario, scenarioFromConfig } from '../local/from-config.js';
import { rehearse } from '../local/rehearsal.js';

/**
 * An operator edits the one config file: a variant added, images and node groups changed. The copy starts from
 * events/ci.config.yml, the file pipeline.config.yml ships as, with fixed waves (tests never read the operator's own file), and
 * everything that depends on the config — validation, the stack's generated resources, a rehearsal of the fleet
 * it describes, `npm start -- --config` — stays green on it.
 */
function editedCopy(): { file: string; raw: Record<string, unknown> } {
  const raw = parse(readFileSync('events/ci.config.yml', 'utf8')) as { variants: Record<string, unknown>[]; images: unknown[] } & Record<string, unknown>;
  // Node groups changed: one dropped, one chosen by tag; the 2019 groups in a cluster now.
  raw.variants[0] = { ...raw.variants[0], nodeGroups: [{ asgName: 'eks-win2022-canary', canary: true }, { asgName: 'eks-win2022-apps-a' }, { tag: { key: 'patch-group', value: 'win2022-batch' } }] };
  raw.variants[1] = { ...raw.variants[1], cluster: 'legacy-eks' };
  // A variant added: Server 2025 on Kubernetes 1.32, a self-managed canary and an EKS managed node group.
  raw.variants.push({
    id: 'win2025-core-132',
    windows: '2025',
    edition: 'Core',
    kubernetes: '1.32',
    cluster: 'prod-eks',
    nodeGroups: [{ asgName: 'eks-win2025-canary', canary: true }, { managedNodeGroup: 'win2025-web' }],
    images: [{ ref: 'mcr.microsoft.com/windows/servercore:ltsc2025' }, { ref: 'contoso.azurecr.io/web:4.2.0', windows: '2025' }],
  });
  // Images changed: a newer pause image.
  raw.images = [{ ref: 'mcr.microsoft.com/oss/kubernetes/pause:3.10', multiPlatform: true }];
  const file = join(mkdtempSync(join(tmpdir(), 'edited-config-')), 'pipeline.config.yml');
  writeFileSync(file, stringify(raw));
  return { file, raw };
}

const generators = createRequire(import.meta.url)('../scripts/pipeline-config.cjs') as Record<string, (arg: { resolveVariable: (v: string) => Promise<string> }) => Promise<Record<string, unknown>>>;
const resolver = (file: string) => ({ resolveVariable: async (v: string) => ({ 'self:custom.configFile': file, 'sls:stage': 'ci', 'self:provider.region': 'us-west-2' })[v] ?? Promise.reject(new Error(v)) });

describe('an edited copy of the shipped pipeline config', () => {
  it('validates, and the stack resources follow it (groups, managed node group, clusters, admins)', async () => {
    const { file, raw } = editedCopy();
    expect(parseConfig(raw).variants.map((v) => v.id)).toEqual(['win2022-core-131', 'win2019-core-131', 'win2025-core-132']);

    type Arns = { Resource: { 'Fn::Sub': string }[] };
    const config = (await generators.config?.(resolver(file))) as { groups: { named: Arns; tagged: Arns }; eksNodegroupArns: { 'Fn::Sub': string }[] };
    const names = (s: Arns) => s.Resource.map((a) => a['Fn::Sub'].split('autoScalingGroupName/')[1]);
    expect(names(config.groups.named)).toEqual(['eks-win2019-canary', 'eks-win2019-legacy', 'eks-win2022-apps-a', 'eks-win2022-canary', 'eks-win2025-canary']);
    // The copy selects a group by tag: those go by an aws:ResourceTag condition on any group.
    expect(names(config.groups.tagged)).toEqual(['*']);
    expect(config.eksNodegroupArns.map((a) => a['Fn::Sub'].split(':nodegroup/')[1])).toEqual(['prod-eks/win2025-web/*']);
    const entries = (await generators.accessEntries?.(resolver(file))) as { Resources: Record<string, { Properties: { ClusterName: string } }> };
    expect([...new Set(Object.values(entries.Resources).map((e) => e.Properties.ClusterName))].sort()).toEqual(['legacy-eks', 'prod-eks']);
    const subscriptions = (await generators.subscriptions?.(resolver(file))) as { Resources: object };
    expect(Object.keys(subscriptions.Resources)).toHaveLength(2);
  });

  it('generates a simulated fleet that matches it: names, tags, clusters, managed node groups, AMIs', () => {
    const { file } = editedCopy();
    const { fleet, config } = loadConfigScenario(file);

    expect(fleet.autoScalingGroups.map((g) => [g.name, g.cluster ?? '-', JSON.stringify(g.tags)])).toEqual([
      ['eks-win2022-canary', '-', '{}'],
      ['eks-win2022-apps-a', '-', '{}'],
      ['win2022-core-131-tagged-2', '-', '{"patch-group":"win2022-batch"}'],
      ['eks-win2019-canary', 'legacy-eks', '{}'],
      ['eks-win2019-legacy', 'legacy-eks', '{}'],
      ['eks-win2025-canary', 'prod-eks', '{}'],
    ]);
    expect(fleet.managedNodeGroups.map((g) => `${g.cluster}/${g.name}`)).toEqual(['prod-eks/win2025-web']);
    expect(fleet.clusters.map((c) => [c.name, c.version])).toEqual([['legacy-eks', '1.31'], ['prod-eks', '1.32']]);
    for (const v of config.variants) {
      const published = fleet.ssmParameters[sourceParameter(v)];
      expect(fleet.amis.find((a) => a.id === published)?.name).toMatch(new RegExp(`^Windows_Server-${v.windows}-English-${v.edition}-EKS_Optimized-${v.kubernetes}-`));
    }
  });

  it('npm start -- --config FILE rehearses that fleet end to end (every configured node group patched) and exits 0; a bad copy exits 2 naming the field', () => {
    const { file, raw } = editedCopy();
    const run = spawnSync(TSX, ['--no-warnings', 'local/rehearse.ts', '--config', file, '--json'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as { status: string; nodeGroupsPatched: number; variants: { variant: string; status: string; patched: string[] }[] };
    expect(summary).toMatchObject({ status: 'SUCCEEDED', nodeGroupsPatched: 7 });
    expect(Object.fromEntries(summary.variants.map((v) => [v.variant, v.patched.length]))).toEqual({ 'win2022-core-131': 3, 'win2019-core-131': 2, 'win2025-core-132': 2 });

    (raw.variants as Record<string, unknown>[])[2] = { ...(raw.variants as Record<string, unknown>[])[2], kubernetes: 1.3 };
    writeFileSync(file, stringify(raw));
    const bad = spawnSync(TSX, ['--no-warnings', 'local/rehearse.ts', '--config', file], { encoding: 'utf8', timeout: 120_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(`${file} is invalid:\n  - variants[2].kubernetes: write the version in quotes, kubernetes: "1.30" (unquoted, YAML reads it as the number 1.3) (got 1.3)\n`);
  }, 240_000);

  it('larger builds, more Fast Launch launches and launch-first refreshes still rehearse green: the account is raised for the stack too', async () => {
    const { raw } = editedCopy();
    const file = join(mkdtempSync(join(tmpdir(), 'edited-config-')), 'pipeline.config.yml');
    writeFileSync(file, stringify({ ...raw, imageBuilder: { ...(raw.imageBuilder as object), instanceTypes: ['m6i.16xlarge'] }, fastLaunch: { ...(raw.fastLaunch as object), maxParallelLaunches: 6 }, rollout: { ...(raw.rollout as object), maxHealthyPercentage: 150 } }));
    const scenario = loadConfigScenario(file);
    const report = await rehearse(scenario);

    expect(report.status).toBe('SUCCEEDED');
    // Every self-managed group's refresh succeeded (the managed node group is updated by EKS, not refreshed).
    const groups = scenario.fleet.autoScalingGroups.map((g) => g.name);
    expect(groups).toHaveLength(6);
    expect(groups.map((n) => report.account.asg(n).refreshStatus)).toEqual(groups.map(() => 'Successful'));
  }, 120_000);

  it('a Karpenter-only variant and a config with no cluster generate a fleet too', () => {
    const config = parseConfig({ variants: [{ id: 'karpenter-2022', windows: '2022', edition: 'Full', kubernetes: '1.33', nodeGroups: [] }], imageBuilder: { subnetId: 'subnet-0123456789abcdef0', securityGroupIds: ['sg-0123456789abcdef0'] } });
    const { fleet } = scenarioFromConfig(config, 'inline');
    expect(fleet.autoScalingGroups).toEqual([]);
    expect(Object.keys(fleet.ssmParameters)).toEqual(['/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-EKS_Optimized-1.33/image_id']);
  });
});
