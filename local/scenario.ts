import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseConfig, type PipelineConfig } from '../lib/config.js';
import { describeIssues } from '../lib/issues.js';
import { ConfigError } from '../lib/errors.js';
import { DurationsSchema, FaultSchema, ScenarioFleetSchema, type Durations, type Fault, type Fleet } from './sim/fleet.js';

/**
 * A rehearsal scenario: the operator's config (inline or a file), the simulated
 * account's fleet, the faults to inject, and the execution input. Documented in README.
 */
const ScenarioSchema = z.strictObject({
  description: z.string().default(''),
  start: z.iso.datetime({ message: 'use an ISO time like 2026-11-15T09:00:00Z' }).default('2026-11-15T09:00:00Z'),
  stage: z.string().regex(/^[a-z0-9-]+$/).default('rehearsal'),
  executionName: z.string().optional(),
  input: z.record(z.string(), z.unknown()).default({}),
  config: z.unknown().optional(),
  configFile: z.string().optional(),
  fleet: ScenarioFleetSchema,
  faults: z.array(FaultSchema).default([]),
  durations: DurationsSchema.partial().default({}),
}).superRefine((s, ctx) => {
  // Kubernetes faults must name what the fleet's clusters hold (local/sim/kubernetes/model.ts: a budget is <workload>-pdb).
  s.faults.forEach((f, i) => {
    if (f.kind === 'nodegroupUpdateFailure' && !s.fleet.managedNodeGroups.some((g) => g.name === f.nodegroup && (f.cluster === undefined || g.cluster === f.cluster)))
      ctx.addIssue({ code: 'custom', path: ['faults', i, 'nodegroup'], message: `fault nodegroupUpdateFailure: ${f.nodegroup} is not a managed node group of the fleet${f.cluster ? ` in cluster ${f.cluster}` : ''} (fleet.managedNodeGroups)` });
    if (f.kind !== 'nodesNeverReady' && f.kind !== 'wrongWindowsBuild' && f.kind !== 'evictionBlocked') return;
    const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['faults', i], message });
    if (!s.fleet.clusters.length) return issue(`fault ${f.kind} needs a cluster in fleet.clusters`);
    if (f.kind === 'nodesNeverReady' && f.asgName !== undefined && !s.fleet.autoScalingGroups.some((g) => g.name === f.asgName && g.cluster !== undefined))
      issue(`fault nodesNeverReady: auto scaling group ${f.asgName} is not in a cluster (give it cluster: <name>)`);
    if (f.kind === 'evictionBlocked' && !s.fleet.clusters.some((c) => c.workloads.some((w) => w.pdb && `${w.name}-pdb` === f.pdb)))
      issue(`fault evictionBlocked: no workload has the budget ${f.pdb} (a workload's budget is <name>-pdb, given its pdb)`);
  });
});

export interface Scenario {
  description: string;
  start: string;
  stage: string;
  executionName?: string;
  input: Record<string, unknown>;
  config: PipelineConfig;
  fleet: Fleet;
  faults: Fault[];
  durations: Partial<Durations>;
}

export function parseScenario(raw: unknown, source: string, baseDir = process.cwd()): Scenario {
  const result = ScenarioSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(`scenario ${source}`, describeIssues(result.error.issues, raw));
  const s = result.data;
  if ((s.config === undefined) === (s.configFile === undefined)) throw new ConfigError(`scenario ${source}`, ['give exactly one of config (inline) or configFile (a path)']);
  const configSource = s.configFile ? resolve(baseDir, s.configFile) : `${source} (config)`;
  const rawConfig = s.configFile ? parse(readFileSync(configSource, 'utf8')) : s.config;
  return { ...s, config: parseConfig(rawConfig, configSource) };
}

export function loadScenario(file: string): Scenario {
  const path = resolve(file);
  return parseScenario(parse(readFileSync(path, 'utf8')), file, dirname(path));
}
