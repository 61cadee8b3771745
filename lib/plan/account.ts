import type { PipelineConfig, Variant } from '../config.js';
import type { ExecutionInput } from '../input.js';
import { lastBuildParameter, readParameters, sourceParameter } from '../parameters.js';
import { activeRuns, type ActiveRun } from './busy.js';
import { configuredNodegroups, describeNodegroups, type NodegroupFacts } from './managed.js';
import { readVcpuQuota, readVcpuUsage } from './quota.js';

/**
 * What the plan reads of the account that the config alone names: AWS's source AMI parameters and our last-build
 * records (SSM), the other active runs (Step Functions), the On-Demand vCPU quota and what the account already runs of
 * it (Service Quotas, EC2 DescribeInstances), and the managed node groups config names (EKS DescribeNodegroup, the
 * fields the plan reads). ReadAccount reads them first, as a function of its own: planning is four functions
 * (ReadAccount, ReadFleet, CheckAccess, PlanRun), each with the SDK clients and permissions of its own reads. Every
 * field is small whatever the fleet's size (the state holds it).
 */
export interface AccountFacts {
  /** Parameter values by name; a name AWS does not know is absent. */
  parameters: Record<string, string>;
  /** The other RUNNING executions of the run state machine (none without an execution: a local dry plan). */
  activeRuns: ActiveRun[];
  vcpuQuota: { value: number } | { error: string };
  vcpuUsage: { vcpus: number } | { error: string };
  /** Per managed node group config names (managed.ts managedKey); null: not found. */
  nodegroups: Record<string, NodegroupFacts | null>;
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
    nodegroups: await describeNodegroups(variants.flatMap((v) => configuredNodegroups(v).map((c) => c.ref))),
  };
}

/**
 * Where a variant's run starts: AWS's newest AMI (its public parameter) unless the input names one. `skip`: nothing to
 * plan, because AWS publishes no such parameter (a problem), or a release run finds that release already built (a
 * release run that waited for another run: once per release).
 */
export function variantSource(
  variant: Variant,
  input: Pick<ExecutionInput, 'baseAmi' | 'amiId' | 'trigger'>,
  account: Pick<AccountFacts, 'parameters'>,
  parameterPrefix: string,
): { published: string | undefined; lastBuilt: string | null; skip?: 'unpublished' | 'upToDate' } {
  const published = account.parameters[sourceParameter(variant)];
  const lastBuilt = account.parameters[lastBuildParameter(parameterPrefix, variant.id)] ?? null;
  const explicitAmi = input.baseAmi ?? input.amiId;
  if (!published && !explicitAmi) return { published, lastBuilt, skip: 'unpublished' };
  if (input.trigger === 'release' && !explicitAmi && published === lastBuilt) return { published, lastBuilt, skip: 'upToDate' };
  return { published, lastBuilt };
}
