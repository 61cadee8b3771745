import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

export type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };
export type Template = { Resources: Record<string, Resource> };

/** The template `serverless package` wrote into a folder. */
export function templateIn(dir: string): Template {
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

/** `serverless package` with no AWS credentials at all, as CI and a new user run it. */
export function packageApp(configFile?: string): { dir: string; status: number | null; output: string; template?: Template } {
  const dir = mkdtempSync(join(tmpdir(), 'sls-'));
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none', SLS_TELEMETRY_DISABLED: '1' };
  const args = ['serverless', 'package', '--stage', 'ci', '--package', dir];
  if (configFile) args.push('--param', `configFile=${configFile}`);
  const run = spawnSync('npx', args, { env, encoding: 'utf8', timeout: 240_000 });
  const result = { dir, status: run.status, output: `${run.stdout}\n${run.stderr}` };
  if (run.status !== 0) return result;
  return { ...result, template: templateIn(dir) };
}

/**
 * The text of the one file in a function's zip (serverless-esbuild writes one bundle per zip).
 * Read with Node alone, through the central directory, since the local headers of a
 * streamed zip carry no sizes: CI machines need not have `unzip`.
 */
export function bundleText(zipPath: string): string {
  const zip = readFileSync(zipPath);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const central = zip.readUInt32LE(end + 16);
  const method = zip.readUInt16LE(central + 10);
  const size = zip.readUInt32LE(central + 20);
  const local = zip.readUInt32LE(central + 42);
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const data = zip.subarray(start, start + size);
  return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
}
