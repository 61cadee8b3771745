import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger; handlers append executionId and variant, lib code appends asgName per group. */
export const logger = new Logger({ serviceName: 'eks-windows-patch' });

/** Log keys for this invocation only (warm Lambdas reuse the logger). */
export function logFor(keys: { executionId: string; variant?: string }): void {
  logger.resetKeys();
  logger.appendKeys(keys);
}
