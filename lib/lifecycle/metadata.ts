import { PipelineError } from '../errors.js';
import type { Taint } from '../kubernetes/types.js';

/**
 * Our lifecycle hooks and what they carry. The hooks exist only while our refresh of the group runs
 * (put before StartInstanceRefresh, deleted when the refresh has ended): a scale-out outside a run
 * never meets them, so it can never hang or be abandoned because of this pipeline.
 */
export const hookNames = (stage: string) => ({ ready: `eks-windows-patch-${stage}-ready`, drain: `eks-windows-patch-${stage}-drain` });


/** The ASG tag where a lifecycle action leaves its verdict for the wave check (value ≤ 256 characters). */
export const verdictTagKey = (stage: string) => `eks-windows-patch/${stage}/verdict`;

/** What a lifecycle action needs to judge one instance: written into the hook's NotificationMetadata. */
export interface HookMetadata {
  v: 1;
  /** The run's execution name and the variant. */
  run: string;
  variant: string;
  cluster: string;
  /** "lt-…:<version>": the launch template version our refresh moves the group to; a refresh to anything else is not ours. */
  lt: string;
  /** node.kubernetes.io/windows-build the new nodes must carry, and the kubelet minor. */
  build: string;
  k8s: string;
  /** The labels and taints every old node of the group shares. */
  labels: Record<string, string>;
  taints: Taint[];
}

/** PutLifecycleHook: NotificationMetadata is at most 1,023 characters (API Reference, PutLifecycleHook). */
export const METADATA_LIMIT = 1023;

export class HookMetadataError extends PipelineError {}

export function encodeMetadata(m: HookMetadata): string {
  const text = JSON.stringify(m);
  if (text.length > METADATA_LIMIT)
    throw new HookMetadataError(
      `the readiness gate's expectations for ${m.variant} (labels and taints the group's nodes share) take ${text.length} characters, over the lifecycle hook's 1,023: ` +
        'shorten the node labels, or set kubernetes.readinessGate: false for this fleet',
    );
  return text;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The metadata of one of our hooks, or undefined for anything else (a hook we did not write). */
export function decodeMetadata(text: string | undefined): HookMetadata | undefined {
  if (!text) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(m) || m.v !== 1) return undefined;
  const strings = ['run', 'variant', 'cluster', 'lt', 'build', 'k8s'] as const;
  if (strings.some((k) => typeof m[k] !== 'string') || !isRecord(m.labels) || !Array.isArray(m.taints)) return undefined;
  return m as unknown as HookMetadata;
}

/** A verdict as the tag holds it: "<refresh id>|<text>", cut to the tag's 256 characters. */
export const encodeVerdict = (refreshId: string, text: string): string => `${refreshId}|${text}`.slice(0, 256);

export function verdictFor(tagValue: string | undefined, refreshId: string | null): string | undefined {
  if (!tagValue || !refreshId) return undefined;
  const bar = tagValue.indexOf('|');
  return bar > 0 && tagValue.slice(0, bar) === refreshId ? tagValue.slice(bar + 1) : undefined;
}
