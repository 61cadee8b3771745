import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { parseConfig, type PipelineConfig, type Variant } from '../lib/config.js';
import { sourceParameter } from '../lib/parameters.js';
import type { Scenario } from './scenario.js';
import { ScenarioFleetSchema } from './sim/fleet.js';

/**
 * `npm start -- --config FILE`: a simulated account that holds exactly what the config names, so an operator
 * rehearses their own setup without writing a scenario. Per variant: AWS's just-published EKS-optimized AMI
 * (and its public SSM parameter) and last month's AMI the groups run now. Per node group selector: an ASG
 * named `asgName` (its own launch template, pinned to version 1), one ASG carrying the selector's tag, or an
 * EKS managed node group with a launch template in its cluster. Every cluster the config names exists (EKS
 * version of its first variant), with our access entry and RBAC in place. No faults: the result shows what a
 * clean month does to that fleet.
 */

export interface FromConfigOptions {
  start?: string;
  region?: string;
  accountId?: string;
  /** Instances per node group (default 2). */
  instances?: number;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** ami- + 17 hex digits: kind (published 0xa0, running 0xb0) and variant index. */
const ami = (kind: number, n: number) => `ami-${hex(kind, 2)}${hex(n, 15)}`;

/** An EC2 launch template name is 3-128 characters of letters, digits and ( ) . - / _ (CreateLaunchTemplate). */
function templateName(base: string, taken: Set<string>): string {
  let name = base.replace(/[^A-Za-z0-9().\-/_]/g, '-').slice(0, 120);
  if (name.length < 3) name = `lt-${name}`;
  for (let n = 2; taken.has(name); n++) name = `${base.slice(0, 115)}-${n}`;
  taken.add(name);
  return name;
}

export function scenarioFromConfig(config: PipelineConfig, source: string, opts: FromConfigOptions = {}): Scenario {
  const instances = opts.instances ?? 2;
  const amis: { id: string; name: string }[] = [];
  const ssmParameters: Record<string, string> = {};
  const launchTemplates: { name: string; versions: { imageId: string }[] }[] = [];
  const autoScalingGroups: { name: string; launchTemplate: string; version: string; instances: number; tags: Record<string, string>; terminationHook: boolean; cluster?: string }[] = [];
  const managedNodeGroups: { cluster: string; name: string; launchTemplate: string; version: number; instances: number }[] = [];
  const clusters = new Map<string, string>();
  const taken = new Set<string>();
  const published = new Map<string, string>();

  const addCluster = (name: string | undefined, v: Variant) => {
    if (name !== undefined && !clusters.has(name)) clusters.set(name, v.kubernetes);
  };

  config.variants.forEach((v, i) => {
    const parameter = sourceParameter(v);
    const running = ami(0xb0, i + 1);
    // Two variants of the same Windows, edition and Kubernetes version read the same parameter: one AMI.
    if (!published.has(parameter)) {
      const id = ami(0xa0, i + 1);
      published.set(parameter, id);
      ssmParameters[parameter] = id;
      amis.push({ id, name: `Windows_Server-${v.windows}-English-${v.edition}-EKS_Optimized-${v.kubernetes}-2026.11.12` });
    }
    amis.push({ id: running, name: `Windows_Server-${v.windows}-English-${v.edition}-EKS_Optimized-${v.kubernetes}-2026.10.15` });
    addCluster(v.cluster, v);
    v.nodeGroups.forEach((g, j) => {
      const cluster = g.cluster ?? v.cluster;
      addCluster(cluster, v);
      if (g.managedNodeGroup !== undefined && cluster !== undefined) {
        const launchTemplate = templateName(`${cluster}-${g.managedNodeGroup}`, taken);
        launchTemplates.push({ name: launchTemplate, versions: [{ imageId: running }] });
        managedNodeGroups.push({ cluster, name: g.managedNodeGroup, launchTemplate, version: 1, instances });
        return;
      }
      const name = g.asgName ?? `${v.id}-tagged-${j}`;
      const launchTemplate = templateName(name, taken);
      launchTemplates.push({ name: launchTemplate, versions: [{ imageId: running }] });
      autoScalingGroups.push({
        name,
        launchTemplate,
        version: '1',
        instances,
        tags: g.tag ? { [g.tag.key]: g.tag.value } : {},
        // In a known cluster our own drain hook does the draining; elsewhere the group stands for one with another drainer's hook.
        terminationHook: cluster === undefined,
        ...(cluster !== undefined ? { cluster } : {}),
      });
    });
  });

  const fleet = ScenarioFleetSchema.parse({
    region: opts.region ?? 'us-west-2',
    accountId: opts.accountId ?? '111122223333',
    amis,
    ssmParameters,
    launchTemplates,
    autoScalingGroups,
    clusters: [...clusters].map(([name, version]) => ({ name, version })),
    managedNodeGroups,
  });
  const groups = autoScalingGroups.length + managedNodeGroups.length;
  return {
    description: `the fleet ${source} describes: ${config.variants.length} variant(s), ${groups} node group(s) (${managedNodeGroups.length} managed), ${clusters.size} cluster(s), ${instances} instance(s) each`,
    start: opts.start ?? '2026-11-15T09:00:00Z',
    stage: 'rehearsal',
    input: { reason: `rehearsal of ${source}` },
    config,
    fleet,
    faults: [],
    durations: {},
  };
}

/** Reads and validates a config file (the same checks as `serverless package`) and generates its fleet. */
export function loadConfigScenario(file: string, opts: FromConfigOptions = {}): Scenario {
  const path = resolve(file);
  return scenarioFromConfig(parseConfig(parse(readFileSync(path, 'utf8')), file), file, opts);
}
