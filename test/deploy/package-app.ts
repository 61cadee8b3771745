import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };
export type Template = { Resources: Record<string, Resource> };

/** `serverless package` with no AWS credentials at all, as CI and a new user run it. */
export function packageApp(configFile?: string): { dir: string; status: number | null; output: string; template?: Template } {
  const dir = mkdtempSync(join(tmpdir(), 'sls-'));
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'none', SLS_TELEMETRY_DISABLED: '1' };
  const args = ['serverless', 'package', '--stage', 'ci', '--package', dir];
  if (configFile) args.push('--param', `configFile=${configFile}`);
  const run = spawnSync('npx', args, { env, encoding: 'utf8', timeout: 240_000 });
  const result = { dir, status: run.status, output: `${run.stdout}\n${run.stderr}` };
  if (run.status !== 0) return result;
  return { ...result, template: JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template };
}
