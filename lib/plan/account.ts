import type { PipelineConfig, Variant } from '../config.js';
import type { ExecutionInput } from '../input.js';
import { lastBuildParameter, readParameters, sourceParameter } from '../parameters.js';
import { activeRuns, type ActiveRun } from './busy.js';
import { readVcpuQuota, readVcpuUsage } from './quota.js';

/**
 * What the plan reads of the account that does not depend on the fleet: AWS's source AMI parameters and our last-build
 * records (SSM), the other active runs (Step Functions), the On-Demand vCPU quota and what the account already runs of
 * it (Service Quotas, EC2 DescribeInstances). ReadAccount, a function of its own, reads them before PlanRun, so that
 * PlanRun, which reads the fleet and stores the plan, carries neither those clients nor their permissions. Every field
 * is small whatever the fleet's size (the state holds it).
 */
export interface AccountFacts {
  /** Parameter values by name; a name AWS does not know is absent. */
  parameters: Record<string, string>;
  /** The other RUNNING executions of the run state machine (none without an execution: a local dry plan). */
  activeRuns: ActiveRun[];
  vcpuQuota: { value: number } | { error: string };
  vcpuUsage: { vcpus: number } | { error: string };
}

/** The variants a run covers: the ones input.variants names, or all. */
export function selectedVariants(input: Pick<ExecutionInput, 'variants'>, config: Pick<PipelineConfig, 'variants'>): Variant[] {
  return config.variants.filter((v) => !input.variants || input.variants.includes(v.id));
}

export async function readAccount(
  input: ExecutionInput,
  config: PipelineConfig,
  ctx: { parameterPrefix: string; execution?: { executionArn: string; stateMachineArn: string } },
): Promise<AccountFacts> {
  const variants = selectedVariants(input, config);
  const parameters = await readParameters([...variants.map(sourceParameter), ...variants.map((v) => lastBuildParameter(ctx.parameterPrefix, v.id))]);
  return {
    parameters: Object.fromEntries(parameters),
    activeRuns: ctx.execution && variants.length ? await activeRuns(ctx.execution.stateMachineArn, ctx.execution.executionArn) : [],
    vcpuQuota: await readVcpuQuota(),
    vcpuUsage: await readVcpuUsage(),
  };
}
