import { ConfigError } from './errors.js';

/**
 * Deployment facts that CloudFormation hands each function as environment
 * variables (ARNs and ids of resources in the stack). Read once, all or nothing.
 */
export interface Settings {
  stage: string;
  region: string;
  topicArn: string;
  parameterPrefix: string;
  stateMachineArn: string;
  infrastructureConfigurationArn: string;
  fastLaunchTemplateId: string;
  /** The run-state bucket (resources/stack.yml RunStateBucket): plans and wave outcomes too big for a state. */
  runStateBucket: string;
}

const variables: Record<keyof Settings, string> = {
  stage: 'STAGE',
  region: 'AWS_REGION',
  topicArn: 'TOPIC_ARN',
  parameterPrefix: 'PARAMETER_PREFIX',
  stateMachineArn: 'STATE_MACHINE_ARN',
  infrastructureConfigurationArn: 'INFRASTRUCTURE_CONFIGURATION_ARN',
  fastLaunchTemplateId: 'FAST_LAUNCH_TEMPLATE_ID',
  runStateBucket: 'RUN_STATE_BUCKET',
};

/** Returns the named settings; throws one ConfigError listing every missing variable. */
export function settings<K extends keyof Settings>(...keys: K[]): Pick<Settings, K> {
  const missing = keys.filter((k) => !process.env[variables[k]]);
  if (missing.length)
    throw new ConfigError('environment', missing.map((k) => `${variables[k]} is not set: it comes from serverless.yml (provider.environment)`));
  return Object.fromEntries(keys.map((k) => [k, process.env[variables[k]] as string])) as Pick<Settings, K>;
}
