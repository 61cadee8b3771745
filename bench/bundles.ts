import { build, type Plugin } from 'esbuild';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../lib/config.js';
import { serverlessYml } from '../local/runner.js';
import { median } from './fit.js';

/**
 * Each Lambda as `serverless package` ships it (serverless.yml custom.esbuild:
 * bundled, minified, SDK v3 included, node22, cjs, config inlined by `define`),
 * and how long its module takes to load in a fresh Node process: the part of a
 * cold start our code controls.
 */
const ROOT = resolve(import.meta.dirname, '..');
const SAMPLE_CONFIG = resolve(ROOT, 'events/ci.config.yml');

export interface BundleMetrics {
  fn: string;
  bytes: number;
  initMs: number;
  initSamplesMs: number[];
  /** The packages that weigh most in the minified bundle (bytes), largest first. */
  heaviest: [string, number][];
  /** Why the function could not be bundled or loaded (the figures are then NaN). */
  error?: string;
}

/** custom.esbuild from serverless.yml, so the bench follows the packaging settings; `define` is replaced by the sample config. */
export function packagingOptions(): Record<string, unknown> {
  const doc = serverlessYml<{ custom?: { esbuild?: Record<string, unknown> } }>();
  const o = doc.custom?.esbuild ?? {};
  const keys = ['bundle', 'minify', 'keepNames', 'sourcemap', 'target', 'platform', 'format', 'mainFields', 'conditions', 'treeShaking', 'external'];
  const picked = Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  const exclude = Array.isArray(o.exclude) ? (o.exclude as string[]) : [];
  const external = [...((picked.external as string[] | undefined) ?? []), ...exclude];
  const plugins = typeof o.plugins === 'string' ? (createRequire(import.meta.url)(resolve(ROOT, o.plugins)) as Plugin[]) : [];
  return { ...picked, ...(external.length ? { external } : {}), plugins };
}

function packageOf(path: string): string {
  const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  return m?.[1] ?? path.split('/')[0] ?? path;
}

/** What Lambda's environment gives the module at init (values only need to be present). */
const LAMBDA_ENV = {
  AWS_REGION: 'us-west-2',
  STAGE: 'bench',
  TOPIC_ARN: 'arn:aws:sns:us-west-2:111122223333:eks-windows-patch-bench-admins',
  PARAMETER_PREFIX: '/eks-windows-patch/bench',
  STATE_MACHINE_ARN: 'arn:aws:states:us-west-2:111122223333:stateMachine:eks-windows-patch-bench-patch-run',
  INFRASTRUCTURE_CONFIGURATION_ARN: 'arn:aws:imagebuilder:us-west-2:111122223333:infrastructure-configuration/eks-windows-patch-bench',
  FAST_LAUNCH_TEMPLATE_ID: 'lt-0123456789abcdef0',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

// hrtime around require inside the child: process start-up is Lambda's cost, not ours.
const PROBE = 'const t=process.hrtime.bigint();require(process.argv[1]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';

/** Cold imports per function; the median is reported. */
export const INIT_SAMPLES = 7;

export async function measureBundles(samples = INIT_SAMPLES): Promise<BundleMetrics[]> {
  const config = parseConfig(parse(readFileSync(SAMPLE_CONFIG, 'utf8')), SAMPLE_CONFIG);
  const files = readdirSync(resolve(ROOT, 'functions')).filter((f) => f.endsWith('.ts')).sort();
  const options = packagingOptions();
  const dir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  try {
    const built = await Promise.all(
      files.map(async (file) => {
        const fn = file.replace(/\.ts$/, '');
        const out = await build({
          ...options,
          entryPoints: [resolve(ROOT, 'functions', file)],
          metafile: true,
          define: { 'process.env.PIPELINE_CONFIG': JSON.stringify(JSON.stringify(config)) },
          write: false,
          logLevel: 'silent',
        }).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
        if (out instanceof Error) return { fn, bytes: Number.NaN, path: '', heaviest: [], error: out.message.split('\n').slice(0, 2).join(' ') };
        const js = out.outputFiles[0];
        if (!js) throw new Error(`esbuild produced nothing for ${file}`);
        const path = join(dir, `${fn}.cjs`);
        writeFileSync(path, js.contents);
        const weights = new Map<string, number>();
        for (const output of Object.values(out.metafile.outputs))
          for (const [input, v] of Object.entries(output.inputs)) weights.set(packageOf(input), (weights.get(packageOf(input)) ?? 0) + v.bytesInOutput);
        const heaviest = [...weights].sort((a, b) => b[1] - a[1]).slice(0, 3);
        return { fn, bytes: js.contents.length, path, heaviest } as { fn: string; bytes: number; path: string; heaviest: [string, number][]; error?: string };
      }),
    );
    const times = new Map<string, number[]>(built.map((b) => [b.fn, []]));
    // Rounds over all functions rather than one function at a time: a busy moment on the machine spreads over all.
    for (let round = 0; round < samples; round++)
      for (const b of built) {
        if (b.error) continue;
        const child = spawnSync(process.execPath, ['-e', PROBE, b.path], { env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV }, encoding: 'utf8' });
        if (child.status !== 0) b.error = `module init failed: ${child.stderr.trim().split('\n').slice(0, 3).join(' ')}`;
        else times.get(b.fn)?.push(Number(child.stdout));
      }
    return built.map((b) => {
      const initSamplesMs = times.get(b.fn) ?? [];
      return { fn: b.fn, bytes: b.bytes, initMs: initSamplesMs.length ? median(initSamplesMs) : Number.NaN, initSamplesMs, heaviest: b.heaviest, ...(b.error ? { error: b.error } : {}) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
