import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { exitWithUsageIfAsked } from './usage.js';

/**
 * npm run retention -- [--stage dev] [--region R] [--variant ID]... [--keep N] [--config FILE] [--apply]
 * Retention on its own against the deployed stack's account: without --apply a dry run that
 * lists what it would delete and why each kept AMI stays. Operator IAM: what the
 * applyRetention function's role grants (serverless.yml), plus ec2:DescribeLaunchTemplates.
 */
const USAGE = `Usage: npm run retention -- [--stage dev] [--region R] [--variant ID]... [--keep N] [--config FILE] [--apply]
Lists (dry run, the default) or deletes (--apply) what retention would delete for each variant: AMIs older than the
newest retention.keepImages that nothing uses, their snapshots, Image Builder images, recipes and components, and
unused launch template versions the pipeline created. README "Retention".
  --stage S      the deployed stage (default $STAGE or dev)
  --region R     the stack's region (default from the AWS environment)
  --variant ID   only this variant (repeat for more; default every configured variant)
  --keep N       keep the newest N instead of the config's retention.keepImages
  --config FILE  the pipeline config (default pipeline.config.yml)
  --apply        delete for real (after a dry run)`;
exitWithUsageIfAsked(process.argv.slice(2), USAGE);

const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: process.env.STAGE ?? 'dev' },
    region: { type: 'string' },
    variant: { type: 'string', multiple: true, default: [] },
    keep: { type: 'string' },
    config: { type: 'string', default: 'pipeline.config.yml' },
    apply: { type: 'boolean', default: false },
  },
});
if (values.region) process.env.AWS_REGION = values.region;
// The SDK clients read the region when created: import them after it is set.
const { parseConfig } = await import('../lib/config.js');
const { ConfigError } = await import('../lib/errors.js');
const { retentionCommand } = await import('../lib/retention/command.js');
try {
  const config = parseConfig(parse(readFileSync(values.config as string, 'utf8')), values.config);
  await retentionCommand(
    { config, stage: values.stage as string, variants: values.variant as string[], ...(values.keep !== undefined ? { keepImages: Number(values.keep) } : {}), apply: values.apply === true },
    (line) => process.stdout.write(`${line}\n`),
  );
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const e = error as Error;
  process.stderr.write(`retention failed: ${e.name}: ${e.message}\n`);
  process.exit(1);
}
