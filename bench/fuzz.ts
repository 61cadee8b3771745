import { generateScenario, DEFAULT_VARIANTS, variantId } from '../local/generate.js';
import { rehearse, type RehearsalReport } from '../local/rehearsal.js';
import { seeded } from '../local/sim/account.js';
import type { Fault } from '../local/sim/fleet.js';

/**
 * Seeded fuzzing: generated fleets rehearsed under random fault mixes, each run checked
 * against what must hold however AWS misbehaves. Every violation prints its seed;
 * `npm run fuzz -- --seed N` replays one run.
 *
 *   npm run fuzz [-- --runs 2000] [--from 1] [--seconds 1800] [--seed N]
 */
const ACTIVE = new Set(['Pending', 'InProgress', 'Baking', 'Cancelling', 'RollbackInProgress']);
const LOST_OPERATIONS = ['StartInstanceRefresh', 'CreateLaunchTemplateVersion', 'CreateImage', 'EnableFastLaunch', 'StartExecution'] as const;
const SERVICES = ['EC2', 'AutoScaling', 'Imagebuilder', 'SSM', 'SNS', 'SFN'] as const;

export interface FuzzCase {
  seed: number;
  variants: number;
  nodeGroups: number;
  faults: Fault[];
}

export interface Violation {
  seed: number;
  rule: 'refresh unwatched' | 'failure unannounced' | 'group between AMIs unnamed' | 'not exactly one' | 'crashed';
  detail: string;
}

/**
 * The fault mix of one seed: a few of throttle (windowed, per service), lost answers, refresh, build and Fast Launch
 * failures. `spare` keeps throttling off the named services, to narrow a search.
 */
export function fuzzCase(seed: number, spare: readonly string[] = []): FuzzCase {
  const r = seeded(seed * 7919 + 17);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const variants = 1 + Math.floor(r() * 2);
  const nodeGroups = variants + Math.floor(r() * 4);
  const ids = DEFAULT_VARIANTS.slice(0, variants).map(variantId);
  const groupName = (i: number) => `ng-${ids[i % variants]}-${String(i).padStart(4, '0')}`;
  const faults: Fault[] = [];
  const count = 1 + Math.floor(r() * 3);
  for (let k = 0; k < count; k++) {
    const kind = pick(['throttle', 'throttle', 'lostResponse', 'lostResponse', 'refreshFailure', 'imageBuildFailure', 'fastLaunchFailure', 'refreshInProgress'] as const);
    if (kind === 'throttle') {
      const windowed = r() < 0.6;
      const byService = r() < 0.5;
      // One in four throttles aims at a single polled or notifying operation, as a real burst on one API does.
      const operation = r() < 0.25 ? pick(['DescribeInstanceRefreshes', 'GetImage', 'DescribeFastLaunchImages', 'CreateTags', 'Publish', 'DescribeAutoScalingGroups'] as const) : undefined;
      const allowed = SERVICES.filter((x) => !spare.includes(x));
      const service = pick(SERVICES);
      faults.push({
        kind,
        rate: Math.round((0.1 + r() * 0.8) * 100) / 100,
        ...(operation ? { operations: [operation] } : {}),
        ...(byService && !spare.includes(service) ? { services: [service] } : spare.length ? { services: allowed } : {}),
        ...(windowed ? { fromMinute: Math.floor(r() * 150), forMinutes: 5 + Math.floor(r() * 90) } : {}),
      });
    } else if (kind === 'lostResponse') faults.push({ kind, operation: pick(LOST_OPERATIONS), times: 1 + Math.floor(r() * 2), skip: Math.floor(r() * 2) });
    else if (kind === 'refreshFailure') faults.push({ kind, asgName: groupName(Math.floor(r() * nodeGroups)), atPercent: Math.floor(r() * 100), reason: 'Instances failed to pass health checks', times: 1 });
    // Someone else's refresh on a group, over before its wave, during it, or past rollout.busyRetries.
    else if (kind === 'refreshInProgress') faults.push({ kind, asgName: groupName(Math.floor(r() * nodeGroups)), minutes: 10 + Math.floor(r() * 240) });
    else if (kind === 'imageBuildFailure') faults.push({ kind, recipe: pick(ids), reason: 'update-windows failed', at: pick(['BUILDING', 'TESTING'] as const), times: 1 });
    else faults.push({ kind, state: pick(['enabling-failed', 'enabled-failed'] as const), reason: 'Fast Launch pre-provisioning failed', times: 1 });
  }
  return { seed, variants, nodeGroups, faults };
}

const mentions = (report: RehearsalReport, text: string) => report.notifications.some((n) => `${n.subject ?? ''}\n${n.message}`.includes(text));

/** What must hold at the end of every run, read from the simulated account at the simulated end. */
export function invariants(seed: number, report: RehearsalReport): Violation[] {
  const out: Violation[] = [];
  const state = report.account.snapshot() as { refreshes: { asgName: string; external?: unknown }[]; launchTemplates: Record<string, { name: string; versions: unknown[] }>; images: Record<string, { recipeArn: string }> };
  const groups = Object.keys((report.account.snapshot() as { asgs: Record<string, unknown> }).asgs);
  for (const g of groups) {
    const { refreshStatus } = report.account.asg(g);
    // Someone else's refresh (fault refreshInProgress) may outlast the run that skipped its group: only ours must be over.
    const theirs = state.refreshes.filter((x) => x.asgName === g).at(-1)?.external !== undefined;
    if (refreshStatus && ACTIVE.has(refreshStatus) && !theirs) out.push({ seed, rule: 'refresh unwatched', detail: `${g}: instance refresh ${refreshStatus} after the run ended` });
    const amis = new Set(report.account.instances(g).map((i) => i.imageId));
    if (amis.size > 1 && !mentions(report, g)) out.push({ seed, rule: 'group between AMIs unnamed', detail: `${g} runs ${[...amis].join(' and ')}; no notification names it` });
    // Someone else's refresh (fault refreshInProgress) is theirs, not one of ours.
    const refreshes = state.refreshes.filter((x) => x.asgName === g && x.external === undefined).length;
    if (refreshes > 1) out.push({ seed, rule: 'not exactly one', detail: `${g}: ${refreshes} instance refreshes` });
  }
  for (const lt of Object.values(state.launchTemplates)) {
    if (lt.versions.length > 2 && !lt.name.endsWith('-fast-launch')) out.push({ seed, rule: 'not exactly one', detail: `launch template ${lt.name}: ${lt.versions.length - 1} new versions` });
  }
  const recipes = Object.values(state.images).map((i) => i.recipeArn);
  for (const recipe of new Set(recipes)) {
    const n = recipes.filter((x) => x === recipe).length;
    if (n > 1) out.push({ seed, rule: 'not exactly one', detail: `${recipe}: ${n} image builds` });
  }
  const names = report.account.executions.map((e) => e.name);
  if (new Set(names).size !== names.length || report.executions.length !== names.length)
    out.push({ seed, rule: 'not exactly one', detail: `executions: ${names.join(', ')} (runner saw ${report.executions.length})` });
  // A start the operator's retries could not get through is told to the operator (npm start's result), not by e-mail.
  const operatorTold = report.startError !== undefined && report.run === undefined;
  if (report.status === 'FAILED' && !operatorTold) {
    const errors = report.notifications.filter((n) => String((n.attributes?.severity as { StringValue?: string } | undefined)?.StringValue) === 'error');
    // The last resort when SNS refused every notice of ours: the stack's alarm on failed executions (its own topic).
    const alarmOnly = errors.length === 0 && report.notifications.some((n) => n.topicArn.endsWith('-AlarmTopic'));
    if (errors.length === 0 && !alarmOnly) out.push({ seed, rule: 'failure unannounced', detail: `run ${report.run?.name} failed (${report.run?.error?.Error}); no error notification and no alarm` });
    for (const child of report.executions.filter((e) => e.stateMachine.endsWith('patch-variant') && e.status === 'FAILED')) {
      if (!alarmOnly && !errors.some((n) => `${n.subject ?? ''}\n${n.message}`.includes(child.label)))
        out.push({ seed, rule: 'failure unannounced', detail: `variant ${child.label} failed (${child.error?.Error}); no error notification names it` });
    }
  }
  return out;
}

/** One seeded run: Math.random (retry jitter) and the account's draws both follow the seed. */
export async function fuzzOne(seed: number, spare: readonly string[] = []): Promise<{ fuzz: FuzzCase; report?: RehearsalReport; violations: Violation[] }> {
  const fuzz = fuzzCase(seed, spare);
  const scenario = generateScenario({ variants: DEFAULT_VARIANTS.slice(0, fuzz.variants), nodeGroups: fuzz.nodeGroups, waveSize: 2, faults: fuzz.faults, instances: (i) => 2 + (i % 3) });
  const realRandom = Math.random;
  Math.random = seeded(seed);
  try {
    const report = await rehearse(scenario, { random: seeded(seed + 1), logLevel: 'SILENT' });
    return { fuzz, report, violations: invariants(seed, report) };
  } catch (error) {
    return { fuzz, violations: [{ seed, rule: 'crashed', detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }] };
  } finally {
    Math.random = realRandom;
  }
}

export async function fuzz(opts: { from: number; runs: number; seconds: number; spare?: readonly string[]; onViolation?: (v: Violation, c: FuzzCase) => void }) {
  const started = Date.now();
  const violations: Violation[] = [];
  let runs = 0;
  let failedRuns = 0;
  for (let seed = opts.from; seed < opts.from + opts.runs && Date.now() - started < opts.seconds * 1000; seed++) {
    const one = await fuzzOne(seed, opts.spare);
    runs++;
    if (one.report?.status === 'FAILED') failedRuns++;
    for (const v of one.violations) {
      violations.push(v);
      opts.onViolation?.(v, one.fuzz);
    }
  }
  return { runs, failedRuns, violations, seconds: (Date.now() - started) / 1000 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { exitWithUsageIfAsked } = await import('../scripts/usage.js');
  exitWithUsageIfAsked(
    process.argv.slice(2),
    `Usage: npm run fuzz -- [--runs 2000] [--from 1] [--seed N] [--seconds 1800] [--spare Service.Operation,...]
Seeded rehearsals with random faults (throttling, lost answers, failures), each checked against the run's invariants;
prints every violation with its seed and faults. --seed N replays one seed.`,
  );
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '2000' }, from: { type: 'string', default: '1' }, seconds: { type: 'string', default: '1800' }, seed: { type: 'string' }, spare: { type: 'string' } },
  });
  const from = Number(values.seed ?? values.from);
  const runs = values.seed ? 1 : Number(values.runs);
  const result = await fuzz({
    from,
    runs,
    seconds: Number(values.seconds),
    spare: values.spare ? values.spare.split(',') : [],
    onViolation: (v, c) => process.stdout.write(`seed ${v.seed}: ${v.rule}: ${v.detail}\n    faults ${JSON.stringify(c.faults)}\n`),
  });
  const seeds = [...new Set(result.violations.map((v) => v.seed))];
  process.stdout.write(
    `\n${result.runs} rehearsals (seeds ${from}..${from + result.runs - 1}) in ${result.seconds.toFixed(0)} s; ${result.failedRuns} runs failed as the faults intended; ${result.violations.length} violation(s) in ${seeds.length} run(s)${seeds.length ? `: replay with npm run fuzz -- --seed ${seeds[0]}` : ''}\n`,
  );
  process.exit(result.violations.length ? 1 : 0);
}
