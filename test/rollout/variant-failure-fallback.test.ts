import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { loadDefinition, stackArns } from '../../local/runner.js';

const arns = stackArns({ stage: 'ci', region: 'us-west-2', accountId: '111122223333' });
const EXECUTION = 'arn:aws:states:us-west-2:111122223333:execution:eks-windows-patch-ci-patch-variant:monthly-2026-11-win2022-core-131';

/** A Lambda error as Step Functions sees it: Error = errorType, Cause = Lambda's JSON. */
function lambdaError(name: string, message: string): Error {
  return Object.assign(new Error(JSON.stringify({ errorType: name, errorMessage: message })), { name });
}

/** Runs patch-variant with every Task replaced: a rollout step fails, then so does the failure report. */
async function runWithFailingReport() {
  const definition = loadDefinition('patch-variant.asl.json', arns) as unknown as StateMachineDefinition;
  const published: Record<string, unknown>[] = [];
  const handlers: Record<string, (input: never) => Promise<unknown>> = {
    // The wave's groups, as the aws-sdk:s3:getObject task returns the object PlanRun wrote (Body as text).
    ReadWave: async () => ({ Body: JSON.stringify([{ asgName: 'ng-a' }]) }),
    UpdateLaunchTemplates: async () => {
      throw lambdaError('LaunchTemplateError', 'ASG ng-a was not found any more');
    },
    // The AMI parameter does not exist yet (Step Functions' name for SSM's ParameterNotFound).
    ReadCurrentImageParameter: async () => {
      throw Object.assign(new Error('Parameter not found'), { name: 'Ssm.ParameterNotFoundException' });
    },
    ReadImageParameterAfterFailure: async () => {
      throw Object.assign(new Error('Parameter not found'), { name: 'Ssm.ParameterNotFoundException' });
    },
    ReportVariantFailure: async () => {
      throw lambdaError('SyntaxError', 'Unterminated string in JSON at position 32768');
    },
    NotifyVariantFailure: async (params: Record<string, unknown>) => {
      published.push(params);
      return {};
    },
  };
  const input = {
    run: { executionName: 'monthly-2026-11', startTime: '2026-11-15T08:00:05.000Z', reason: '' },
    variant: { id: 'win2022-core-131', amiId: 'ami-0c2022c0000000042', stages: { build: false, fastLaunch: false, rollout: true },
      store: { bucket: arns.runStateBucket, prefix: 'runs/monthly-2026-11/win2022-core-131/' }, waveCount: 1, rounds: [[0]], groupCount: 1, groupList: '["ng-a"]' },
  };
  const sm = new StateMachine(definition, { validationOptions: { checkArn: false, checkPaths: false } });
  const run = sm.run(input, {
    overrides: { taskResourceLocalHandlers: handlers as never },
    context: { Execution: { Id: EXECUTION, Name: 'monthly-2026-11-win2022-core-131', StartTime: new Date().toISOString(), Input: input } },
  });
  const failed = await run.result.then(() => undefined, (e: unknown) => e as Error & { cause?: Error });
  // aws-local-stepfunctions wraps the Fail state's Error/Cause in an ExecutionError.
  return { published, error: failed?.cause ?? failed };
}

describe('a variant whose failure report itself fails', () => {
  it('still e-mails a minimal failure notice, then fails the variant', async () => {
    const { published, error } = await runWithFailingReport();

    expect(published).toHaveLength(1);
    const p = published[0] as { Subject: string; Message: string; MessageAttributes: Record<string, { StringValue: string }> };
    expect(p.Subject).toBe('FAILED win2022-core-131: see the execution (the detailed report failed)');
    expect(p.Subject).toMatch(/^[\x20-\x7e]{1,100}$/);
    expect(p.Message).toContain('Variant win2022-core-131 failed in run monthly-2026-11 with LaunchTemplateError');
    expect(p.Message).toContain('ASG ng-a was not found any more');
    // Even this notice names every group of the plan.
    expect(p.Message).toContain('look at the instance refreshes of these Auto Scaling groups in the console before starting again: ["ng-a"]');
    expect(p.Message).toContain(`Execution: ${EXECUTION}`);
    expect(p.MessageAttributes.severity?.StringValue).toBe('error');
    expect(p.MessageAttributes.variant).toEqual({ DataType: 'String.Array', StringValue: '["win2022-core-131"]' });
    expect(error?.name).toBe('VariantFailed');
    expect(error?.message).toBe('variant win2022-core-131 failed with LaunchTemplateError; the failure report could not be built (SyntaxError)');
  });
});
