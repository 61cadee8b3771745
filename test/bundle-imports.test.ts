import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagingOptions } from '../bench/bundles.js';

/**
 * lib/config.ts builds its zod schemas when it loads, so esbuild keeps all of it (and zod's full API, about 440 KB
 * minified) in any bundle that imports one value from it. Lambdas read the config inlined at package time
 * (lib/pipeline-config.ts) and import only types from lib/config.ts; values they need live in zod-free modules
 * (lib/config/*.ts). A value import slipped in once (WAVE_DEFAULTS, plan-run 447 -> 908 KB).
 */
const ROOT = resolve(import.meta.dirname, '..');

describe('Lambda bundles', () => {
  it('leave out lib/config.ts and the full zod API (validate-input uses zod/mini only)', async () => {
    const files = readdirSync(resolve(ROOT, 'functions')).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    const found = await Promise.all(
      files.map(async (file) => {
        const out = await build({ ...packagingOptions(), entryPoints: [resolve(ROOT, 'functions', file)], metafile: true, write: false, logLevel: 'silent', define: { 'process.env.PIPELINE_CONFIG': '"{}"' } });
        const inputs = Object.keys(out.metafile.inputs);
        expect(inputs.some((p) => p.startsWith('lib/')), file).toBe(true);
        return [file, inputs.filter((p) => p === 'lib/config.ts' || /node_modules\/zod\/v4\/classic\//.test(p)).slice(0, 2)] as const;
      }),
    );
    expect(found.filter(([, hits]) => hits.length)).toEqual([]);
  });
});
