import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../lib/config.js';
import { packagingOptions } from './bundles.js';

/**
 * What one function's bundle is made of, from esbuild's metafile: bytes in the minified
 * output per input file and per package (submodule for @smithy/core and @aws-sdk/core),
 * with the same packaging settings and sample config as bench/bundles.ts.
 * `npx tsx bench/bundle-weights.ts plan-run [files to list, default 30]`
 */
const ROOT = resolve(import.meta.dirname, '..');
const SAMPLE_CONFIG = resolve(ROOT, 'events/ci.config.yml');

const [fn, count = '30'] = process.argv.slice(2);
if (!fn || fn === '--help') {
  process.stdout.write('usage: npx tsx bench/bundle-weights.ts <function, e.g. plan-run> [files to list]\n');
  process.exit(fn ? 0 : 1);
}

const config = parseConfig(parse(readFileSync(SAMPLE_CONFIG, 'utf8')), SAMPLE_CONFIG);
const out = await build({
  ...packagingOptions(),
  entryPoints: [resolve(ROOT, 'functions', `${fn}.ts`)],
  metafile: true,
  write: false,
  logLevel: 'silent',
  define: { 'process.env.PIPELINE_CONFIG': JSON.stringify(JSON.stringify(config)) },
});
const inputs = Object.values(out.metafile.outputs).flatMap((o) => Object.entries(o.inputs).map(([path, v]) => [path, v.bytesInOutput] as const));

function groupOf(path: string): string {
  const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:dist-es\/(?:submodules\/([^/]+)|([^/]+)\/))?/);
  if (!m) return path.split('/').slice(0, 2).join('/');
  return m[2] ? `${m[1]}/${m[2]}` : m[3] ? `${m[1]}/${m[3]}` : (m[1] ?? path);
}
const groups = new Map<string, number>();
for (const [path, bytes] of inputs) groups.set(groupOf(path), (groups.get(groupOf(path)) ?? 0) + bytes);

const kb = (n: number) => `${(n / 1024).toFixed(1).padStart(6)} KB`;
const lines = [`${fn}: ${kb(out.outputFiles[0]?.contents.length ?? 0)} minified`, '', 'by package:'];
for (const [group, bytes] of [...groups].sort((a, b) => b[1] - a[1])) if (bytes >= 512) lines.push(`${kb(bytes)}  ${group}`);
lines.push('', 'largest files:');
for (const [path, bytes] of [...inputs].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) lines.push(`${kb(bytes)}  ${path.replace(/^.*node_modules\//, '')}`);
process.stdout.write(`${lines.join('\n')}\n`);
