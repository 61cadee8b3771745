import { GetParametersCommand } from '@aws-sdk/client-ssm';
import { ssm } from '../aws/ssm.js';
import { withRetries } from '../aws/retry.js';
import { lastBuildParameter } from '../parameters.js';
import { chunk } from '../util.js';

/**
 * When each variant last succeeded: RecordSuccess writes its last-source-ami parameter only then, so the parameter's
 * LastModifiedDate (SSM API Reference, "Parameter") is that moment. Undefined for a variant that never succeeded.
 */
export async function lastSuccessTimes(prefix: string, variantIds: string[]): Promise<Map<string, Date | undefined>> {
  const byName = new Map(variantIds.map((id) => [lastBuildParameter(prefix, id), id]));
  const out = new Map<string, Date | undefined>(variantIds.map((id) => [id, undefined]));
  for (const batch of chunk([...byName.keys()], 10)) {
    const page = await withRetries(() => ssm.send(new GetParametersCommand({ Names: batch })));
    for (const p of page.Parameters ?? []) {
      const id = p.Name ? byName.get(p.Name) : undefined;
      if (id !== undefined && p.LastModifiedDate) out.set(id, p.LastModifiedDate);
    }
  }
  return out;
}
