import { GetParametersCommand } from '@aws-sdk/client-ssm';
import { withRetries } from './aws/retry.js';
import { ssm } from './aws/ssm.js';
import type { Variant } from './config.js';
import { chunk } from './util.js';

/** AWS's public parameter holding the newest EKS-optimized Windows AMI of a variant. */
export function sourceParameter(v: Pick<Variant, 'windows' | 'edition' | 'kubernetes'>): string {
  return `/aws/service/ami-windows-latest/Windows_Server-${v.windows}-English-${v.edition}-EKS_Optimized-${v.kubernetes}/image_id`;
}

/** Our own record of the source AMI of the last successful build (written only on success). */
export function lastBuildParameter(prefix: string, variantId: string): string {
  return `${prefix}/${variantId}/last-source-ami`;
}

/** SSM parameter values by name (GetParameters takes 10 names a call); names AWS does not know are left out. */
export async function readParameters(names: string[]): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const batch of chunk([...new Set(names)], 10)) {
    const out = await withRetries(() => ssm.send(new GetParametersCommand({ Names: batch })));
    for (const p of out.Parameters ?? []) if (p.Name && p.Value) values.set(p.Name, p.Value);
  }
  return values;
}
