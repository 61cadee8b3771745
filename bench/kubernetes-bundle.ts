import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packagingOptions } from './bundles.js';
import { median } from './fit.js';
import { LIMITS } from './targets.js';

/**
 * What the Kubernetes foundation (token, client, drain, gate, https transport) costs a
 * Lambda, before any handler uses it: a tiny handler bundled with serverless.yml's
 * packaging settings, its size and its module init in a fresh Node process.
 * `npx tsx bench/kubernetes-bundle.ts`
 */
const ROOT = resolve(import.meta.dirname, '..');

const CORE = `
import { eksToken } from './lib/kubernetes/token.js';
import { KubernetesClient } from './lib/kubernetes/client.js';
import { httpsTransport } from './lib/kubernetes/https.js';
import { drainStep, startDrain } from './lib/kubernetes/drain.js';
import { gateVerdict } from './lib/kubernetes/gate.js';
`;
const HANDLERS: Record<string, string> = {
  // Baseline: the same Auto Scaling call without Kubernetes, so the delta is ours and the machine's load cancels out.
  'auto-scaling-only': `
import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
const autoScaling = new AutoScalingClient({ maxAttempts: 1 });
export const handler = async (e: { instanceId: string }) => autoScaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'g', LifecycleHookName: 'h', LifecycleActionResult: 'CONTINUE', InstanceId: e.instanceId }));`,
  // Credentials straight from the Lambda environment.
  'kubernetes-only': `${CORE}
const credentials = () => ({ accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '', sessionToken: process.env.AWS_SESSION_TOKEN });
export const handler = async (e: { cluster: string; endpoint: string; ca: string; instanceId: string; deadline: number }) => {
  const client = new KubernetesClient(httpsTransport({ endpoint: e.endpoint, caData: e.ca, token: () => eksToken({ clusterName: e.cluster, region: process.env.AWS_REGION ?? '', credentials: credentials() }).token }));
  return { drain: await drainStep(client, startDrain(e.instanceId, Date.now()), Date.now(), e.deadline), gate: gateVerdict };
};`,
  // What the drain Lambda will be: plus the Auto Scaling client for heartbeats and CompleteLifecycleAction, credentials from its config.
  'kubernetes-with-auto-scaling': `${CORE}
import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
const autoScaling = new AutoScalingClient({ maxAttempts: 1 });
export const handler = async (e: { cluster: string; endpoint: string; ca: string; instanceId: string; deadline: number }) => {
  const credentials = await autoScaling.config.credentials();
  const client = new KubernetesClient(httpsTransport({ endpoint: e.endpoint, caData: e.ca, token: () => eksToken({ clusterName: e.cluster, region: process.env.AWS_REGION ?? '', credentials }).token }));
  const r = await drainStep(client, startDrain(e.instanceId, Date.now()), Date.now(), e.deadline);
  if (r.state === 'drained') await autoScaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'g', LifecycleHookName: 'h', LifecycleActionResult: 'CONTINUE', InstanceId: e.instanceId }));
  return { r, gate: gateVerdict };
};`,
};

const PROBE = 'const t=process.hrtime.bigint();require(process.argv[1]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';

async function main(): Promise<void> {
  const options = packagingOptions();
  const dir = mkdtempSync(join(tmpdir(), 'bench-k8s-'));
  try {
    const built: { name: string; path: string; bytes: number; samples: number[] }[] = [];
    for (const [name, contents] of Object.entries(HANDLERS)) {
      const out = await build({ ...options, stdin: { contents, resolveDir: ROOT, loader: 'ts', sourcefile: `${name}.ts` }, write: false, logLevel: 'silent' });
      const js = out.outputFiles[0];
      if (!js) throw new Error(`esbuild produced nothing for ${name}`);
      const path = join(dir, `${name}.cjs`);
      writeFileSync(path, js.contents);
      built.push({ name, path, bytes: js.contents.length, samples: [] });
    }
    // Rounds over all bundles, as bench/bundles.ts does: a busy moment spreads over all of them.
    for (let round = 0; round < 9; round++)
      for (const b of built) {
        const child = spawnSync(process.execPath, ['-e', PROBE, b.path], { env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-west-2' }, encoding: 'utf8' });
        if (child.status !== 0) throw new Error(`${b.name}: module init failed: ${child.stderr}`);
        b.samples.push(Number(child.stdout));
      }
    for (const b of built) {
      const ms = median(b.samples);
      const over = b.bytes <= LIMITS.bundleBytes && ms <= LIMITS.initMs ? '' : '  OVER';
      console.log(`${b.name}: ${(b.bytes / 1024).toFixed(1)} KB minified (limit ${LIMITS.bundleBytes / 1024}), init ${ms.toFixed(1)} ms median of 9 (limit ${LIMITS.initMs})${over}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
