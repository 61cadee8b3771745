import { DescribeLaunchTemplatesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from '../aws/ec2.js';
import { withRetries } from '../aws/retry.js';
import type { PipelineConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { outcomeLines, type RetentionOutcome } from './outcome.js';
import { runRetention } from './run.js';

export interface RetentionCommand {
  config: PipelineConfig;
  stage: string;
  /** Variant ids; empty = every configured variant. */
  variants: string[];
  /** Overrides retention.keepImages. */
  keepImages?: number;
  /** False (the default): a dry run that lists and changes nothing. */
  apply: boolean;
}

/**
 * Retention on its own (`npm run retention`): the same decision and deletions as the
 * ApplyRetention state, for the variants asked. Bad options fail before any AWS call.
 */
export async function retentionCommand(c: RetentionCommand, print: (line: string) => void): Promise<RetentionOutcome[]> {
  const known = c.config.variants.map((v) => v.id);
  const unknown = c.variants.filter((v) => !known.includes(v));
  if (unknown.length) throw new ConfigError('--variant', unknown.map((v) => `no variant "${v}" in the config: use one of ${known.join(', ')}`));
  if (c.keepImages !== undefined && (!Number.isInteger(c.keepImages) || c.keepImages < 1)) throw new ConfigError('--keep', [`${c.keepImages} is not a whole number of at least 1: keep at least the AMI the node groups run`]);
  const keepImages = c.keepImages ?? c.config.retention.keepImages;
  const name = `eks-windows-patch-${c.stage}-fast-launch`;
  const lt = await withRetries(() => ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] })));
  const fastLaunchTemplateId = lt.LaunchTemplates?.[0]?.LaunchTemplateId;
  if (!fastLaunchTemplateId) throw new ConfigError('--stage', [`no launch template ${name} in this region: deploy the stack, or pass --stage/--region`]);
  const outcomes: RetentionOutcome[] = [];
  for (const variantId of c.variants.length ? c.variants : known) {
    const { outcome } = await runRetention({ stage: c.stage, variantId, keepImages, parameterPrefix: `/eks-windows-patch/${c.stage}`, fastLaunchTemplateId }, !c.apply);
    print(`${variantId}${outcome.dryRun ? ' (dry run: nothing changed)' : ''}:`);
    for (const line of outcomeLines(outcome, keepImages)) print(`  ${line}`);
    outcomes.push(outcome);
  }
  return outcomes;
}
