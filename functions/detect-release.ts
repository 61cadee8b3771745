import { loadConfig } from '../lib/pipeline-config.js';
import { logger } from '../lib/logger.js';
import { lastSuccessTimes } from '../lib/metrics/last-success.js';
import { daysSinceLastSuccess } from '../lib/metrics/points.js';
import { publishMetrics } from '../lib/metrics/publish.js';
import { settings } from '../lib/settings.js';
import { detectReleases } from '../lib/triggers/detect.js';

/** Hourly tick or AWS's Windows AMI SNS nudge: start one run per newly published EKS-optimized Windows AMI. */
export const handler = async (event: unknown) => {
  logger.resetKeys();
  logger.info('checking for new EKS-optimized Windows AMIs', { source: sourceOf(event) });
  const { parameterPrefix, stateMachineArn, stage } = settings('parameterPrefix', 'stateMachineArn', 'stage');
  const config = loadConfig();
  const outcomes = await detectReleases(config, parameterPrefix, stateMachineArn);
  // The dashboard's "days since the last successful patch", on every tick; never at the cost of the detection.
  try {
    publishMetrics(stage, daysSinceLastSuccess(await lastSuccessTimes(parameterPrefix, config.variants.map((v) => v.id)), Date.now()));
  } catch (error) {
    logger.warn('days since the last success not published', { error });
  }
  return { releases: outcomes };
};

const sourceOf = (event: unknown) =>
  event && typeof event === 'object' && 'Records' in event ? 'sns' : event && typeof event === 'object' && 'source' in event ? String(event.source) : 'manual';
