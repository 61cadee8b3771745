import { z } from 'zod';
import { describeIssues, type PipelineConfig } from './config.js';
import { InvalidInputError } from './errors.js';

/**
 * What an execution is asked to do. Triggers (detect-release, monthly-gate) and
 * people (console, CLI, events/*.json) all speak this one shape.
 */
export const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const STAGES = ['build', 'fastLaunch', 'rollout'] as const;
export type Stage = (typeof STAGES)[number];

export const ExecutionInputSchema = z
  .object({
    trigger: z.enum(['manual', 'release', 'monthly']).default('manual'),
    variants: z.array(z.string().min(1)).min(1, 'list at least one variant id, or leave variants out for all').optional(),
    nodeGroups: z.array(z.string().min(1)).min(1, 'list at least one ASG name, or leave nodeGroups out for all').optional(),
    baseAmi: z.string().regex(AMI_ID, 'use an AMI id: "ami-" and 8 or 17 hex digits').optional(),
    amiId: z.string().regex(AMI_ID, 'use an AMI id: "ami-" and 8 or 17 hex digits').optional(),
    stages: z.array(z.enum(STAGES, { message: `use one of ${STAGES.join(', ')}` })).min(1).default([...STAGES]),
    dryRun: z.boolean().default(false),
    reason: z.string().max(200, 'keep the reason under 200 characters').default(''),
  })
  .strict()
  .superRefine((input, ctx) => {
    const building = input.stages.includes('build');
    if (!building && !input.amiId)
      ctx.addIssue({ code: 'custom', path: ['amiId'], message: 'without the build stage, give the AMI to roll out as amiId' });
    if (building && input.amiId)
      ctx.addIssue({ code: 'custom', path: ['amiId'], message: 'amiId is for runs without the build stage; to build from a given AMI use baseAmi' });
    if ((input.baseAmi || input.amiId) && input.variants?.length !== 1)
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'an explicit baseAmi or amiId belongs to exactly one variant: list that one variant' });
  });

export type ExecutionInput = z.infer<typeof ExecutionInputSchema>;

/** Validates the input against its schema and against the deployed config (unknown variant or ASG names). */
export function parseExecutionInput(raw: unknown, config: PipelineConfig): ExecutionInput {
  const result = ExecutionInputSchema.safeParse(raw ?? {});
  if (!result.success) throw new InvalidInputError('execution input', describeIssues(result.error.issues, raw, 'input.'));
  const input = result.data;
  const problems: string[] = [];
  const known = new Set(config.variants.map((v) => v.id));
  input.variants?.forEach((id, i) => {
    if (!known.has(id)) problems.push(`input.variants[${i}]: no variant "${id}" in the config; use one of ${[...known].join(', ')}`);
  });
  if (problems.length) throw new InvalidInputError('execution input', problems);
  return input;
}
