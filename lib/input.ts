import * as z from 'zod/mini';
import type { $ZodIssue } from 'zod/v4/core';
import type { PipelineConfig } from './config.js';
import { describeIssues } from './issues.js';
import { InvalidInputError } from './errors.js';
import { STAGES } from './stages.js';

/**
 * What an execution is asked to do. Triggers (detect-release, monthly-gate) and
 * people (console, CLI, events/*.json) all speak this one shape.
 */
export const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

const amiId = z.optional(z.string().check(z.regex(AMI_ID, 'use an AMI id: "ami-" and 8 or 17 hex digits')));
const names = (what: string) => z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1, `list at least one ${what}, or leave the field out for all`)));

/** zod/mini, not zod: the same checks in a few KB instead of ~450 KB of bundle. */
export const ExecutionInputSchema = z
  .strictObject({
    trigger: z._default(z.enum(['manual', 'release', 'monthly'], { error: 'use "manual", "release" or "monthly"' }), 'manual'),
    variants: names('variant id'),
    nodeGroups: names('ASG name'),
    baseAmi: amiId,
    amiId,
    stages: z._default(z.array(z.enum(STAGES, { error: `use one of ${STAGES.join(', ')}` })).check(z.minLength(1)), [...STAGES]),
    dryRun: z._default(z.boolean({ error: 'use true or false' }), false),
    reason: z._default(z.string().check(z.maxLength(200, 'keep the reason under 200 characters')), ''),
    /** Another active run covers one of these variants: wait for it (re-planning every 10 minutes, up to 72 h) or end cleanly. */
    whenBusy: z._default(z.enum(['wait', 'skip'], { error: 'use "wait" or "skip"' }), 'wait'),
  })
  .check(
    z.superRefine((input, ctx) => {
      const building = input.stages.includes('build');
      if (!building && !input.amiId) ctx.addIssue({ code: 'custom', path: ['amiId'], message: 'without the build stage, give the AMI to roll out as amiId', input });
      if (building && input.amiId)
        ctx.addIssue({ code: 'custom', path: ['amiId'], message: 'amiId is for runs without the build stage; to build from a given AMI use baseAmi', input });
      if ((input.baseAmi || input.amiId) && input.variants?.length !== 1)
        ctx.addIssue({ code: 'custom', path: ['variants'], message: 'an explicit baseAmi or amiId belongs to exactly one variant: list that one variant', input });
    }),
  );

export type ExecutionInput = z.infer<typeof ExecutionInputSchema>;

const FIELDS = Object.keys(ExecutionInputSchema.shape);

/**
 * Validates the input against its schema and against the deployed config (unknown variant
 * or ASG names), reporting every bad field at once: a person fixes them in one go.
 */
export function parseExecutionInput(raw: unknown, config: PipelineConfig): ExecutionInput {
  const result = ExecutionInputSchema.safeParse(raw ?? {});
  const problems = result.success ? [] : schemaProblems(result.error.issues, raw);
  problems.push(...configProblems(raw, config));
  if (problems.length || !result.success) throw new InvalidInputError('execution input', problems);
  return result.data;
}

function schemaProblems(issues: readonly $ZodIssue[], raw: unknown): string[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => `input.${k}: not an input field; use ${FIELDS.join(', ')}`)
      : describeIssues([issue], raw, 'input.'),
  );
}

function configProblems(raw: unknown, config: PipelineConfig): string[] {
  const input = (raw && typeof raw === 'object' ? raw : {}) as { variants?: unknown; nodeGroups?: unknown };
  const strings = (v: unknown) => (Array.isArray(v) ? v.map((x, i) => [x, i] as const).filter(([x]) => typeof x === 'string') : []);
  const problems: string[] = [];
  const known = new Set(config.variants.map((v) => v.id));
  for (const [id, i] of strings(input.variants))
    if (!known.has(id)) problems.push(`input.variants[${i}]: no variant "${id}" in the config; use one of ${[...known].join(', ')}`);
  // Only ASGs named in the config can be checked here; tag-selected groups are known after the plan reads the account.
  if (config.variants.some((v) => v.nodeGroups.some((g) => g.tag))) return problems;
  // A managed node group is named by its node group name (its ASG's name is EKS's, known after the plan reads it).
  const named = new Set(config.variants.flatMap((v) => v.nodeGroups.flatMap((g) => (g.asgName ? [g.asgName] : g.managedNodeGroup ? [g.managedNodeGroup] : []))));
  for (const [n, i] of strings(input.nodeGroups))
    if (!named.has(n)) problems.push(`input.nodeGroups[${i}]: no node group "${n}" in the config (give Auto Scaling group names or managed node group names)`);
  return problems;
}
