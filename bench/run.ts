import { exitWithUsageIfAsked } from '../scripts/usage.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import type { NodeGroupPlan } from '../lib/plan/types.js';
import { splitIntoWaves } from '../lib/rollout/waves.js';
import { INIT_SAMPLES, measureBundles } from './bundles.js';
import { benchScenario, type BenchOptions, DEFAULT_WAVE_SIZE, DETECTION_LAG_SECONDS, DURATIONS, EXPOSURE_MODEL, EXPOSURE_SETTINGS, EXPOSURE_SIZES, INSTANCES, LIMIT_RUN_SIZE, LIMIT_RUNS, ONE_VARIANT_SETTINGS, ONE_VARIANT_SIZE, SIZES, SURGE, TABLE_SIZES, THROTTLE_RATE, WAVE_SIZE } from './config.js';
import { exposure } from './exposure.js';
import { criticalPath } from './critical-path.js';
import { leastSquares, median, perUnitGrowth } from './fit.js';
import { measureFleet, type FleetMetrics } from './measure.js';
import { bundlesTable, exposureTable, fitTable, fleetTable, hm, operationsTable, table, targetsTable, type ExposureRun } from './report.js';
import { bundleTargets, exposureTargets, fleetTargets, growthTargets, LIMITS, throttleTarget, type Target } from './targets.js';

/**
 * npm run bench: rehearses generated fleets of 10 to 1,000 node groups on the
 * simulated clock, measures the Lambda bundles, checks the issue's targets and
 * writes bench/RESULTS.md. Figures come from this run on this machine only.
 */
exitWithUsageIfAsked(
  process.argv.slice(2),
  `Usage: npm run bench
Measures speed, size and scale on the simulated account (fleets of 10, 100 and 1,000 node groups, throttling, bundle
sizes and module init of every function) and writes bench/RESULTS.md with each target and whether it is met.`,
);

const ROOT = resolve(import.meta.dirname, '..');
const benchStart = performance.now();
const log = (s: string) => process.stdout.write(`${s}\n`);

// The first rehearsal in a process pays for loading and compiling every module; keep that out of the figures.
log('warming up (a 4-group rehearsal, not reported)');
await measureFleet('warm-up', benchScenario(4));

const runs: FleetMetrics[] = [];
for (const n of SIZES) {
  const m = await measureFleet(`${n} node groups`, benchScenario(n));
  log(`${String(n).padStart(5)} node groups: ${m.status}, ${hm(m.simulatedSeconds)} simulated, overhead ${m.overhead.toFixed(3)}, ${(m.wallMs / 1000).toFixed(1)} s wall`);
  runs.push(m);
}
const largest = runs.at(-1) as FleetMetrics;
const throttled = await measureFleet(`${largest.nodeGroups} node groups, ${THROTTLE_RATE * 100}% of calls throttled`, benchScenario(largest.nodeGroups, { throttle: THROTTLE_RATE }));
log(`throttled ${largest.nodeGroups}: ${throttled.status}, ${throttled.throttled} throttled calls, ${(throttled.wallMs / 1000).toFixed(1)} s wall${throttled.failure ? ` (${throttled.failure})` : ''}`);
// The same throttling on the Lambdas' calls only (not the state machine's own sns:publish / startExecution tasks): isolates lib/aws/retry.ts.
const lambdaOps = Object.keys(largest.callsByOperation).filter((op) => op !== 'Publish' && op !== 'StartExecution');
const lambdaThrottled = await measureFleet(
  `${largest.nodeGroups} node groups, ${THROTTLE_RATE * 100}% of Lambda calls throttled`,
  benchScenario(largest.nodeGroups, { throttle: THROTTLE_RATE, throttleOperations: lambdaOps }),
);
log(`Lambda-only throttled ${largest.nodeGroups}: ${lambdaThrottled.status}, ${lambdaThrottled.throttled} throttled calls, ${(lambdaThrottled.wallMs / 1000).toFixed(1)} s wall`);

// --- exposure: progressive waves with the config's defaults, and with surge, on eksctl-style names ---
const model = EXPOSURE_MODEL;
/** One exposure rehearsal: the fleet, the window against its bound. */
async function exposureRun(setting: string, nodeGroups: number, opts: BenchOptions): Promise<ExposureRun> {
  const m = await measureFleet(`${nodeGroups} node groups, ${setting}`, benchScenario(nodeGroups, opts));
  const e = exposure(m, model);
  log(
    `exposure ${String(nodeGroups).padStart(5)} ${setting}: ${m.status}, window ${hm(e.windowSeconds)}, bound ${hm(e.boundSeconds)}, ratio ${e.ratio.toFixed(3)}, ` +
      `largest state ${m.maxStateBytes} B, ${m.maxTransitions} transitions, ${(m.wallMs / 1000).toFixed(1)} s wall`,
  );
  return { setting, metrics: m, exposure: e };
}
const exposureRuns: ExposureRun[] = [];
for (const n of EXPOSURE_SIZES) for (const [setting, rollout] of EXPOSURE_SETTINGS) exposureRuns.push(await exposureRun(setting, n, { rollout, realNames: true }));
for (const [setting, rollout] of ONE_VARIANT_SETTINGS) exposureRuns.push(await exposureRun(setting, ONE_VARIANT_SIZE, { rollout, realNames: true, variants: 1 }));
for (const { setting, variants } of LIMIT_RUNS) exposureRuns.push(await exposureRun(setting, LIMIT_RUN_SIZE, { rollout: {}, nameLength: 80, variants }));

log('bundling functions/*.ts and timing module init in fresh processes');
const bundles = await measureBundles(INIT_SAMPLES);

// --- growth: least squares over every size, per-group ratio between 100 and 1,000 ---
const r100 = runs.find((r) => r.nodeGroups === 100);
const r1000 = runs.find((r) => r.nodeGroups === 1000);
const metrics: [string, (r: FleetMetrics) => number][] = [
  ['state transitions (total)', (r) => r.totalTransitions],
  ['state transitions (largest execution)', (r) => r.maxTransitions],
  ['AWS API calls', (r) => r.calls],
  ['Lambda invocations', (r) => r.invocations],
];
const fits = metrics.map(([metric, f]) => ({
  metric,
  fit: leastSquares(runs.map((r) => ({ x: r.nodeGroups, y: f(r) }))),
  ratio: r100 && r1000 ? perUnitGrowth({ x: 100, y: f(r100) }, { x: 1000, y: f(r1000) }) : Number.NaN,
}));

// --- the ASL side of retries: every Retry should back off with full jitter ---
interface AslState { Retry?: { JitterStrategy?: string }[]; ItemProcessor?: Asl; Iterator?: Asl; Branches?: Asl[]; Resource?: unknown; TimeoutSeconds?: number }
interface Asl { States: Record<string, AslState> }
const walk = (m: Asl): AslState[] => Object.values(m.States).flatMap((s) => [s, ...[s.ItemProcessor, s.Iterator, ...(s.Branches ?? [])].flatMap((c) => (c ? walk(c) : []))]);
const machines = ['patch-run.asl.json', 'patch-variant.asl.json'].map((f) => JSON.parse(readFileSync(resolve(ROOT, 'statemachines', f), 'utf8')) as Asl);
const retries = machines.flatMap((m) => walk(m).flatMap((s) => s.Retry ?? []));
const jittered = retries.filter((r) => r.JitterStrategy === 'FULL').length;
const childTask = walk(machines[0] as Asl).find((s) => s.Resource === 'arn:aws:states:::states:startExecution.sync:2');

// --- what the default wave size would mean at the largest size (same measured refresh times, waves re-cut) ---
const largestScenario = benchScenario(largest.nodeGroups);
const defaultWaves = criticalPath(
  largestScenario.config.variants.map((v) => ({
    variantId: v.id,
    buildSeconds: DURATIONS.imageBuild * 60,
    fastLaunchSeconds: DURATIONS.fastLaunchEnable * 60,
    // splitIntoWaves reads only `canary`; the other plan fields do not matter for the cut.
    waves: splitIntoWaves(v.nodeGroups.map((g) => ({ asgName: g.asgName ?? '', canary: g.canary }) as unknown as NodeGroupPlan), DEFAULT_WAVE_SIZE).map((w) =>
      w.map((g) => largest.refreshSecondsByGroup[g.asgName] ?? 0),
    ),
  })),
);

const targets: Target[] = [
  ...fleetTargets([...runs, throttled, lambdaThrottled], [100, 1000]),
  ...exposureTargets(exposureRuns),
  throttleTarget(largest, throttled),
  throttleTarget(largest, lambdaThrottled),
  { name: 'ASL retries back off with JitterStrategy FULL', measured: `${jittered} of ${retries.length} Retry rules`, pass: jittered === retries.length },
  ...growthTargets(fits.filter((f) => f.metric !== 'state transitions (largest execution)')),
  ...bundleTargets(bundles),
];
const benchMs = performance.now() - benchStart;
targets.push({ name: 'npm run bench finishes in under 5 minutes', measured: `${(benchMs / 1000).toFixed(0)} s (before writing the report)`, pass: benchMs < LIMITS.benchMs });

const delays = [...throttled.retryDelaysMs, ...lambdaThrottled.retryDelaysMs];
const amiCounts = (r: FleetMetrics) => Object.values(r.amisPerVariant).map((a) => a.length).join(' / ');
const builds = (r: FleetMetrics) => Object.values(r.imageBuildsPerVariant).join(' / ');
const tableRuns = runs.filter((r) => (TABLE_SIZES as readonly number[]).includes(r.nodeGroups));
const failed = targets.filter((t) => !t.pass);
const cpu = cpus();
const md = [
  '# Benchmark results',
  '',
  `Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}. ` +
    `The whole bench took ${(benchMs / 1000).toFixed(0)} s. Rerun it to refresh this file; every figure below comes from that run.`,
  '',
  '## What is rehearsed',
  '',
  `- Generated fleets (local/generate.ts): 4 variants (Windows Server 2022 Core, 2019 Core, 2022 Full, 2025 Core), node groups spread round-robin over them, ` +
    `${INSTANCES.min} to ${INSTANCES.max} instances each, one canary per variant, wave size ${WAVE_SIZE}, MinHealthyPercentage 90 (default), every group needing the new AMI.`,
  `- Modelled AWS durations in the simulated account: Windows image build ${DURATIONS.imageBuild} min, Fast Launch enabling ${DURATIONS.fastLaunchEnable} min, ` +
    `instance launch + warm-up ${DURATIONS.instanceLaunch} min per instance-refresh batch (with MinHealthyPercentage 90 a batch is the 10 % of the group that may be out of service, rounded down, at least one instance).`,
  "- The critical path of AWS's own work is, per variant, image build + Fast Launch + the sum over waves of the slowest instance refresh in that wave " +
    '(each refresh measured from StartTime to EndTime in the simulated account), taking the slowest variant. The overhead is the simulated end-to-end time over it.',
  '- Wall times are measured after a warm-up rehearsal in the same process (module loading excluded).',
  '',
  '## Results',
  '',
  fleetTable(tableRuns),
  '',
  '### AWS API calls by operation',
  '',
  'Every attempt counts, including throttled ones (none here: throttling is the next section).',
  '',
  operationsTable(tableRuns),
  '',
  '## Exposure window',
  '',
  `Progressive waves (lib/rollout/waves.ts) with the config's defaults, and with \`rollout.surge\` (${JSON.stringify(SURGE)}) at the default growth and at growth 10, on eksctl-style ASG names of 60 to 80 characters. ` +
    `The window runs from the AMI's appearance in the public SSM parameter to the last targeted node on the new AMI (the last refresh's EndTime), ` +
    `with the detection lag of the default schedule rate(1 hour) at its worst (${hm(DETECTION_LAG_SECONDS)}). The lower bound is detection lag + image build + Fast Launch + ` +
    "the canary wave, then the longest single other group's refresh, or, when larger, the account's launch-rate ceiling. Per variant: its canary's refresh + its longest other " +
    "group's refresh (the slowest variant counts). Launch rate, fleet-wide: no other group launches before the first canary finished, every other replacement is one RunInstances " +
    `launch (${model.launchBucket.size} at once, then ${model.launchBucket.refillPerSecond} per second), and the last one still takes a launch from a pre-provisioned snapshot ` +
    `(${hm(model.launchSeconds)}). Marked "(launch rate)" where that makes the bound. bench/exposure.ts says what the bound leaves out (which only makes it lower). ` +
    '"Ratio, earlier bound" is the window over the bound this bench used until 3 December 2026: the ceiling counted from the moment Fast Launch is ready (as if ' +
    'the fleet could launch beside its canaries), with no last launch. ' +
    `The "one variant" rows are the same ${ONE_VARIANT_SIZE} groups in one Windows variant (one execution rolls them all out). ` +
    `The last two rows are issue 12's state limits: ${LIMIT_RUN_SIZE} groups with names of exactly 80 characters, with the defaults, in one variant and over four.`,
  '',
  exposureTable(exposureRuns),
  '',
  '\\* every node group was patched, but the run failed afterwards (see its outcome): the window is measured, the target counts it as failed.',
  '',
  '## Throttling',
  '',
  `The ${largest.nodeGroups}-group run again with the simulated account throttling ${THROTTLE_RATE * 100} % of all calls (fault \`{kind: throttle, rate: ${THROTTLE_RATE}}\`), ` +
    "including the state machine's own sns:publish and startExecution tasks.",
  '',
  table(
    ['', 'unthrottled', 'all calls throttled', "only the Lambdas' calls throttled"],
    [
      ['outcome', largest.status, `${throttled.status}${throttled.failure ? ` (${throttled.failure})` : ''}`, lambdaThrottled.status],
      ['node groups patched', largest.patchedGroups, throttled.patchedGroups, lambdaThrottled.patchedGroups],
      ['AMIs per variant (final)', ...[largest, throttled, lambdaThrottled].map(amiCounts)],
      ['image builds per variant', ...[largest, throttled, lambdaThrottled].map(builds)],

      ['throttled calls', largest.throttled, throttled.throttled, lambdaThrottled.throttled],
      ['simulated end-to-end', hm(largest.simulatedSeconds), hm(throttled.simulatedSeconds), hm(lambdaThrottled.simulatedSeconds)],
      ['wall time', ...[largest, throttled, lambdaThrottled].map((r) => `${(r.wallMs / 1000).toFixed(1)} s`)],
    ],
  ),
  '',
  delays.length
    ? `Backoff actually taken before the same caller repeated a throttled request (lib/aws/retry.ts, full jitter): ${delays.length} retries, ` +
      `min ${Math.min(...delays)} ms, median ${median(delays)} ms, max ${Math.max(...delays)} ms, ${new Set(delays).size} distinct delays.`
    : 'No retried request was observed.',
  `ASL: ${jittered} of ${retries.length} Retry rules in statemachines/*.asl.json use \`JitterStrategy: FULL\`.`,
  '',
  '## Growth',
  '',
  `Least squares over ${runs.map((r) => r.nodeGroups).join(', ')} node groups. A slope is the cost of one more node group; the last column is ` +
    'the per-group cost at 1,000 over the per-group cost at 100 (1.0 = linear, below 1 = fixed costs amortised, ~10 would be quadratic).',
  '',
  fitTable(fits),
  '',
  '## Lambda bundles',
  '',
  'Each functions/*.ts bundled with serverless.yml custom.esbuild (read from the file; PIPELINE_CONFIG defined as events/ci.config.yml), ' +
    `module init = median of ${INIT_SAMPLES} \`require()\` of the bundle timed with process.hrtime inside a fresh \`node\` process. This machine is shared, so single samples scatter; the median is what counts.`,
  '',
  bundlesTable(bundles),
  '',
  `## Fixed waves of ${DEFAULT_WAVE_SIZE} at ${largest.nodeGroups} groups`,
  '',
  `With fixed waves of rollout.waveSize ${DEFAULT_WAVE_SIZE} (the default before progressive waves; same refresh times, waves re-cut), the critical path of AWS's own work alone would be ${hm(defaultWaves.seconds)} ` +
    `(${defaultWaves.variantId}); the parent's PatchVariant task times out after ${childTask?.TimeoutSeconds !== undefined ? hm(childTask.TimeoutSeconds) : 'no limit'}` +
    `${childTask?.TimeoutSeconds !== undefined && defaultWaves.seconds > childTask.TimeoutSeconds ? ', so that run would fail with States.Timeout. The bench uses waveSize ' + WAVE_SIZE + '.' : '.'}`,
  '',
  '## Causes of the failing targets',
  '',
  ...causes(),
  '',
  '## Targets',
  '',
  targetsTable(targets),
  '',
  failed.length ? `${failed.length} of ${targets.length} targets fail; see the figures above for the causes.` : `All ${targets.length} targets pass.`,
  '',
].join('\n');

writeFileSync(resolve(ROOT, 'bench/RESULTS.md'), md);

/** Inferences from the figures above, so a reader does not have to make them. */
function causes(): string[] {
  const out: string[] = [];
  if (throttled.status !== 'SUCCEEDED' && lambdaThrottled.status === 'SUCCEEDED')
    out.push(
      "- Throttling: with only the Lambdas' calls throttled the run completes (lib/aws/retry.ts holds), so what fails is a state-machine service-integration task " +
        `(sns:publish or startExecution.sync:2): ${throttled.failure ?? 'see the outcome above'}. Step Functions reports such errors as \`SNS.<exception>\` / ` +
        '`StepFunctions.<exception>`, which the ASL Retry rules match; the local runner passes the raw SDK error name through, so no Retry matches it.',
    );
  const overweight = bundles.filter((b) => b.bytes > LIMITS.bundleBytes);
  if (overweight.length) {
    const base = Math.min(...bundles.filter((b) => b.heaviest.some(([p]) => p === '@smithy/core')).map((b) => b.bytes));
    const ssm = overweight.filter((b) => b.heaviest.some(([p]) => p === '@aws-sdk/client-ssm'));
    out.push(
      `- Bundles: ${overweight.length} of ${bundles.length} exceed 300 KB: ${overweight.map((b) => `${b.fn} (${Math.round(b.bytes / 1024)} KB, heaviest: ${b.heaviest.slice(0, 3).map(([p, n]) => `${p} ${Math.round(n / 1024)} KB`).join(', ')})`).join('; ')}. ` +
        `Every function with an AWS SDK client carries the SDK's shared runtime (@smithy/core, @aws-sdk/core; the lightest such bundle is ${Math.round(base / 1024)} KB). ` +
        (ssm.length ? `${ssm.map((b) => b.fn).join(' and ')} also carry the SSM client, which registers all of its error classes at load, so none of them tree-shake; plan-run adds EC2, Auto Scaling and Step Functions clients on top.` : ''),
    );
  }
  const oneVariant = exposureRuns.filter((r) => r.metrics.nodeGroups === ONE_VARIANT_SIZE && r.metrics.variants === 1 && r.exposure.ratio > LIMITS.exposureRatioAt1000);
  const fastRamp = exposureRuns.find((r) => r.metrics.nodeGroups === ONE_VARIANT_SIZE && r.metrics.variants === 1 && /growth 10/.test(r.setting));
  if (oneVariant.length)
    out.push(
      `- Exposure in one variant: ${oneVariant.map((r) => `${r.setting} ${r.exposure.ratio.toFixed(3)}`).join('; ')}. ` +
        "Under surge a group is one batch and one variant's rounds are each sized to most of the extra-instance budget, so no two fit it together: they hand over by proof (lib/rollout/hand-over.ts, lib/rollout/admission.ts), " +
        'and after the ramp the launches run back to back at the account\'s rate. What remains is the ramp that growth allows: after a one-group canary, rounds of 4, 16 and 64 groups each wait for one launch without a Fast Launch snapshot (about 23 minutes, the pool of 5 being spent), ' +
        'about 72 minutes in which the account launches under 1,000 of the fleet\'s instances, before the budget rather than growth limits a round. The rest of the fleet at 2 launches a second and one last launch without a snapshot then put the end of any schedule that honours growth 4 at about 1.33 times the bound' +
        (fastRamp ? `; growth 10 (two ramp rounds) measures ${fastRamp.exposure.ratio.toFixed(3)}.` : '.'),
    );
  const slow = bundles.filter((b) => b.initMs > LIMITS.initMs);
  if (slow.length) out.push(`- Module init: ${slow.length} of ${bundles.length} functions take over ${LIMITS.initMs} ms; init time follows bundle size (parsing and running the SDK's module code).`);
  const per10 = runs.find((r) => r.nodeGroups === 10);
  if (per10 && per10.totalTransitions / per10.nodeGroups > LIMITS.transitionsPerGroup)
    out.push(
      `- Not a target: at 10 node groups a run costs ${(per10.totalTransitions / per10.nodeGroups).toFixed(1)} transitions per group, because each variant's fixed cost ` +
        '(image build, Fast Launch, their polls) is shared by only 2 or 3 groups; the per-group target is checked at 100 and 1,000.',
    );
  return out.length ? out : ['None: every target passes.'];
}
log('');
log(fleetTable(tableRuns));
log('');
log(targetsTable(targets));
log(`\n${failed.length} of ${targets.length} targets fail. Written bench/RESULTS.md (${((performance.now() - benchStart) / 1000).toFixed(0)} s).`);
