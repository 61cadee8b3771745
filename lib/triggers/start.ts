import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sfn } from '../aws/sfn.js';
import { withRetries } from '../aws/retry.js';
import type { ExecutionInput } from '../input.js';
import { logger } from '../logger.js';

export type StartOutcome = { started: true; executionArn: string } | { started: false; reason: string };

/**
 * Starts an execution under a deterministic name: Step Functions itself de-duplicates
 * (same name and input while running returns the original; afterwards
 * ExecutionAlreadyExists), so one release gives one run however many triggers fire.
 */
export async function startRun(stateMachineArn: string, name: string, input: Partial<ExecutionInput>): Promise<StartOutcome> {
  try {
    const out = await withRetries(() => sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })));
    logger.info('execution started', { name, executionArn: out.executionArn });
    return { started: true, executionArn: out.executionArn as string };
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ExecutionAlreadyExists') throw error;
    logger.info('execution already exists; nothing to do', { name });
    return { started: false, reason: `execution ${name} already exists` };
  }
}
