import type { PipelineConfig } from './config.js';
import { ConfigError } from './errors.js';

/**
 * The deployed config, read once. `serverless package` validates pipeline.config.yml
 * with lib/config.ts and esbuild inlines the validated result as PIPELINE_CONFIG
 * (a thousand node groups would not fit Lambda's 4 KB of environment variables);
 * the local runner sets the same variable. No schema library at run time: the
 * value was parsed by the schema before it was inlined.
 */
let cached: { raw: string; config: PipelineConfig } | undefined;

export function loadConfig(): PipelineConfig {
  const raw = process.env.PIPELINE_CONFIG;
  if (!raw) throw new ConfigError('PIPELINE_CONFIG', ['the pipeline config is missing: deploy with serverless, which inlines pipeline.config.yml']);
  if (cached?.raw !== raw) cached = { raw, config: JSON.parse(raw) as PipelineConfig };
  return cached.config;
}
