import { loadConfig } from '../lib/pipeline-config.js';
import { logger } from '../lib/logger.js';
import { settings } from '../lib/settings.js';
import { detectReleases } from '../lib/triggers/detect.js';

/** Hourly tick or AWS's Windows AMI SNS nudge: start one run per newly published EKS-optimized Windows AMI. */
export const handler = async (event: unknown) => {
  logger.resetKeys();
  logger.info('checking for new EKS-optimized Windows AMIs', { source: sourceOf(event) });
  const { parameterPrefix, stateMachineArn } = settings('parameterPrefix', 'stateMachineArn');
  const outcomes = await detectReleases(loadConfig(), parameterPrefix, stateMachineArn);
  return { releases: outcomes };
};

const sourceOf = (event: unknown) =>
  event && typeof event === 'object' && 'Records' in event ? 'sns' : event && typeof event === 'object' && 'source' in event ? String(event.source) : 'manual';
