import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { benchScenario, EXPOSURE_MODEL, SURGE } from './config.js';
import { exposure } from './exposure.js';
import { measureFleet } from './measure.js';

/**
 * One exposure rehearsal of `npm run bench` on its own, for profiling the rehearsal's speed:
 *   npx tsx bench/rehearsal-time.ts <node groups> <defaults|surge> [figures.json]
 * Prints wall and CPU time and the figures the bench reports (they must not change when only speed does).
 */
const n = Number(process.argv[2] ?? 5000);
const setting = process.argv[3] ?? 'defaults';
const rollout = setting === 'surge' ? { surge: SURGE } : {};
await measureFleet('warm-up', benchScenario(4));
const cpu0 = process.cpuUsage();
const m = await measureFleet(`${n} ${setting}`, benchScenario(n, { rollout, realNames: true }));
const cpu = process.cpuUsage(cpu0);
const e = exposure(m, EXPOSURE_MODEL);
const { wallMs, ...figures } = m;
const digest = createHash('sha256').update(JSON.stringify({ figures, e })).digest('hex').slice(0, 16);
console.log(
  `${n} ${setting}: ${m.status}, wall ${(wallMs / 1000).toFixed(1)} s, cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, ` +
    `window ${e.windowSeconds} s, bound ${e.boundSeconds} s, transitions ${m.totalTransitions} (max ${m.maxTransitions}), largest state ${m.maxStateBytes} B, calls ${m.calls}, invocations ${m.invocations}, figures ${digest}`,
);
if (process.argv[4]) writeFileSync(process.argv[4], JSON.stringify({ figures, e }, null, 1));
