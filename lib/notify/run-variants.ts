import type { PipelineConfig } from '../config.js';

/** The parts of the parent's state that say which variants a run concerns. */
export interface RunScope {
  input?: { stages?: unknown; variants?: unknown; nodeGroups?: unknown };
  plan?: unknown;
  error: { Error: string };
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * The variants a run's notice concerns, for the `variant` message attribute: once the
 * input is validated a subscriber filtering on one variant must still hear of a run that
 * failed for it. The plan's variants when there is a plan; else those the input names
 * (by id, or owning the named ASGs); else every configured variant. Before validation
 * nothing is known: "all".
 */
export function runVariants(state: RunScope, config: Pick<PipelineConfig, 'variants'> | undefined): string[] {
  const validated = state.error.Error !== 'InvalidInputError' && Array.isArray(state.input?.stages);
  if (!validated) return ['all'];
  const planned = (state.plan as { variants?: { id?: unknown }[] } | undefined)?.variants?.map((v) => v.id).filter((id): id is string => typeof id === 'string') ?? [];
  if (planned.length) return planned;
  const named = strings(state.input?.variants);
  if (named.length) return named;
  const configured = config?.variants ?? [];
  const groups = strings(state.input?.nodeGroups);
  // A tag-selected group is known only to the plan: without one, every variant may own it.
  const owners = configured.filter((v) => v.nodeGroups.some((g) => g.asgName !== undefined && groups.includes(g.asgName)));
  const byGroup = groups.length && owners.length && groups.every((n) => owners.some((v) => v.nodeGroups.some((g) => g.asgName === n))) ? owners : configured;
  return byGroup.length ? byGroup.map((v) => v.id) : ['all'];
}
