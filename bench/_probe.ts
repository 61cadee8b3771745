import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseConfig } from '../lib/config.js';
import { packagingOptions } from './bundles.js';
const config = parseConfig(parse(readFileSync('events/ci.config.yml', 'utf8')), 'events/ci.config.yml');
const sets: Record<string, string[]> = { none: [], ssmSfnSq: ['client-ssm', 'client-sfn', 'client-service-quotas'], s3: ['client-s3'], iam: ['client-iam'], eks: ['client-eks'], asg: ['client-auto-scaling'], ec2: ['client-ec2'],
  ssmSfnSqS3: ['client-ssm', 'client-sfn', 'client-service-quotas', 'client-s3'], ssmSfnSqIamEks: ['client-ssm', 'client-sfn', 'client-service-quotas', 'client-iam', 'client-eks'], ec2asg: ['client-ec2', 'client-auto-scaling'] };
for (const [name, ext] of Object.entries(sets)) {
  const o = packagingOptions();
  const out = await build({ ...o, external: [...((o.external as string[]) ?? []), ...ext.map((e) => `@aws-sdk/${e}`)], entryPoints: ['functions/plan-run.ts'], write: false, logLevel: 'silent', define: { 'process.env.PIPELINE_CONFIG': JSON.stringify(JSON.stringify(config)) } });
  console.log(name.padEnd(16), (out.outputFiles[0]!.contents.length / 1024).toFixed(1));
}
