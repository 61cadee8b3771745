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
