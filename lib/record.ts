import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { ssm } from './aws/ssm.js';
import { withRetries } from './aws/retry.js';
import { lastBuildParameter } from './parameters.js';

/** Remembers the source AMI of a successful run; detect-release compares AWS's parameter with it. Written only on success. */
export async function recordSuccessfulSource(parameterPrefix: string, variantId: string, sourceAmi: string): Promise<void> {
  await withRetries(() =>
    ssm.send(new PutParameterCommand({ Name: lastBuildParameter(parameterPrefix, variantId), Value: sourceAmi, Type: 'String', Overwrite: true })),
  );
}
