import { rehearse, type RehearsalOptions, type RehearsalReport } from '../../local/rehearsal.js';
import { generateScenario, type FleetSpec } from '../../local/generate.js';
import { loadScenario, type Scenario } from '../../local/scenario.js';

export { generateScenario, loadScenario, rehearse };
export type { FleetSpec, RehearsalReport, Scenario };

/** Rehearses a generated fleet. */
export function rehearseFleet(spec: FleetSpec, opts?: RehearsalOptions): Promise<RehearsalReport> {
  return rehearse(generateScenario(spec), opts);
}

/** The AWS calls of one operation, in order. */
export function callsOf(report: RehearsalReport, operation: string): Record<string, unknown>[] {
  return report.calls.filter((c) => c.operation === operation && !c.error).map((c) => c.input as Record<string, unknown>);
}

/** Writes a rehearsal made: every successful call that is not a read. */
export function writes(report: RehearsalReport) {
  return report.calls.filter((c) => !c.error && !/^(Describe|Get|List)/.test(c.operation));
}

/** ReadFleet's facts for the plan, in the stack's own run-state bucket (lib/store/keys.ts fleetKey): every run writes them, a refused or dry one too. */
export const isFleetFacts = (c: RehearsalReport['calls'][number]): boolean =>
  c.fn === 'readFleet' && c.operation === 'PutObject' && /^runs\/[^/]+\/fleet\.json$/.test(String((c.input as { Key?: unknown }).Key));

/** What a run changed in the account before it ended: its writes but its own execution, its notifications and its fleet facts. */
export const touched = (report: RehearsalReport) => writes(report).filter((c) => !['StartExecution', 'Publish'].includes(c.operation) && !isFleetFacts(c));
