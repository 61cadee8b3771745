import type { CaughtError } from './cause.js';

/**
 * The variant's AMI parameter (/eks-windows-patch/<stage>/<variant>/image_id) as the failure path of
 * statemachines/patch-variant.asl.json leaves it: what it held before the run, what it holds now, and
 * whether it was set back, deleted, or could not be.
 */
export interface ImageParameterState {
  name: string;
  previous?: { exists: boolean; value?: string };
  now?: { value?: string };
  restored?: { version: number };
  deleted?: object;
  restoreError?: CaughtError;
}

/**
 * The failure notice's line about the parameter: Karpenter's EC2NodeClass and the node group templates
 * follow it, so the admins must know whether nodes launched from now on get the new AMI or the previous one.
 * None when the variant failed before its rollout began (the parameter was never read, so never written).
 */
export function imageParameterLine(p: ImageParameterState | undefined, amiId: string | null): string | undefined {
  if (!p?.previous) return undefined;
  const before = p.previous.exists ? p.previous.value : undefined;
  if (p.restoreError)
    return `AMI parameter ${p.name}: could not be checked or set back (${p.restoreError.Error}); it may still hold ${amiId}, which Karpenter and node group templates that follow it would launch: set it to ${before ?? 'its previous value'} by hand${before ? '' : ' (or delete it: it did not exist before this run)'}.`;
  if (p.restored) return `AMI parameter ${p.name}: set back to ${before} (version ${p.restored.version}); this run had moved it to ${amiId} after the canary wave.`;
  if (p.deleted) return `AMI parameter ${p.name}: deleted again (it did not exist before this run, which had set it to ${amiId}).`;
  const holds = p.now ? p.now.value : before;
  return `AMI parameter ${p.name}: not changed by this run (${holds ? `it holds ${holds}` : 'it does not exist'}).`;
}
