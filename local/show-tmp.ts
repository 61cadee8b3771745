import { rehearse } from './rehearsal.js';
import { loadScenario } from './scenario.js';
const r = await rehearse(loadScenario(process.argv[2] as string), { logLevel: 'SILENT' });
for (const e of r.executions) console.log(e.stateMachine, e.status, e.transitions, JSON.stringify((e.output as {step?: unknown})?.step ?? e.error).slice(0, 600));
console.log(r.notifications.map((n) => n.subject));
