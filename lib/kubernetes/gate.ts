import type { Variant } from '../config.js';
import { windowsBuildForVariant } from '../images.js';
import type { Node, Taint } from './types.js';

/**
 * The readiness gate's verdict for one launching instance (pure): CONTINUE only when
 * the cluster says the new node is what the variant promises. EC2 health checks say
 * nothing about kubelet, CNI or bootstrap, so an AMI whose kubelet never joins would
 * otherwise pass every wave.
 *
 * A mismatch that comes from the AMI itself (Windows build, kubelet minor) never heals:
 * ABANDON at once. A node not yet registered, not yet Ready, or still missing a label or
 * taint the old nodes share (a controller may add it after registration) is waited for
 * until the deadline, then ABANDONed with what was missing.
 */
export const WINDOWS_BUILD_LABEL = 'node.kubernetes.io/windows-build';

export interface GateExpectation {
  windowsBuild: string;
  /** "1.31" */
  kubernetesMinor: string;
  labels: Record<string, string>;
  taints: Taint[];
}

export type GateVerdict =
  | { verdict: 'wait'; reason: string; waitSeconds: number }
  | { verdict: 'continue'; nodeName: string }
  | { verdict: 'abandon'; reason: string };

const POLL_SECONDS = 15;

// Labels that differ per node by nature, or that the gate checks on its own terms.
const PER_NODE_LABELS = [
  'kubernetes.io/hostname',
  WINDOWS_BUILD_LABEL,
  'node.kubernetes.io/instance-type',
  'beta.kubernetes.io/instance-type',
  'alpha.eksctl.io/instance-id',
  'k8s.io/cloud-provider-aws',
];
const PER_NODE_PREFIXES = ['topology.kubernetes.io/', 'failure-domain.beta.kubernetes.io/', 'topology.ebs.csi.aws.com/', 'topology.k8s.aws/'];
// Taints the control plane and drainers put on and take off (cordon, not-ready, autoscalers): not the group's own.
const TRANSIENT_TAINT_PREFIXES = ['node.kubernetes.io/', 'node.cloudprovider.kubernetes.io/', 'ToBeDeletedByClusterAutoscaler', 'DeletionCandidateOfClusterAutoscaler', 'karpenter.sh/'];

const isPerNodeLabel = (k: string) => PER_NODE_LABELS.includes(k) || PER_NODE_PREFIXES.some((p) => k.startsWith(p));
const isTransientTaint = (t: Taint) => TRANSIENT_TAINT_PREFIXES.some((p) => t.key.startsWith(p));
const taintId = (t: Taint) => `${t.key}=${t.value ?? ''}:${t.effect}`;

/** The labels and taints every one of the group's old nodes carries (none when there are no old nodes). */
export function sharedLabelsAndTaints(oldNodes: readonly Node[]): Pick<GateExpectation, 'labels' | 'taints'> {
  const [first, ...rest] = oldNodes;
  if (!first) return { labels: {}, taints: [] };
  const labels = Object.fromEntries(
    Object.entries(first.metadata.labels ?? {}).filter(([k, v]) => !isPerNodeLabel(k) && rest.every((n) => n.metadata.labels?.[k] === v)),
  );
  const taints = (first.spec.taints ?? []).filter((t) => !isTransientTaint(t) && rest.every((n) => (n.spec.taints ?? []).some((u) => taintId(u) === taintId(t))));
  return { labels, taints };
}

export function expectationFor(variant: Pick<Variant, 'windows' | 'kubernetes'>, oldNodes: readonly Node[]): GateExpectation {
  return { windowsBuild: windowsBuildForVariant(variant.windows), kubernetesMinor: variant.kubernetes, ...sharedLabelsAndTaints(oldNodes) };
}

/** "v1.31.4-eks-1234abc" → "1.31" */
export function kubeletMinor(kubeletVersion: string | undefined): string | undefined {
  return kubeletVersion?.match(/^v?(\d+\.\d+)(?:\.|$)/)?.[1];
}

export function nodeOfInstance(nodes: readonly Node[], instanceId: string): Node | undefined {
  return nodes.find((n) => n.spec.providerID?.endsWith(`/${instanceId}`));
}

export function gateVerdict(input: { instanceId: string; nodes: readonly Node[]; expected: GateExpectation; now: number; deadline: number }): GateVerdict {
  const { instanceId, expected } = input;
  const node = nodeOfInstance(input.nodes, instanceId);
  const waitOrAbandon = (reason: string): GateVerdict =>
    input.now >= input.deadline
      ? { verdict: 'abandon', reason: `${reason} at the deadline` }
      : { verdict: 'wait', reason, waitSeconds: Math.max(1, Math.min(POLL_SECONDS, Math.ceil((input.deadline - input.now) / 1000))) };
  if (!node) return waitOrAbandon(`no Node has registered for ${instanceId} (spec.providerID ending in /${instanceId})`);
  const name = node.metadata.name;

  const build = node.metadata.labels?.[WINDOWS_BUILD_LABEL];
  if (build !== undefined && build !== expected.windowsBuild)
    return { verdict: 'abandon', reason: `Node ${name} runs Windows build ${build}, the variant needs ${expected.windowsBuild} (label ${WINDOWS_BUILD_LABEL})` };
  const minor = kubeletMinor(node.status?.nodeInfo?.kubeletVersion);
  if (minor !== undefined && minor !== expected.kubernetesMinor)
    return { verdict: 'abandon', reason: `Node ${name} runs kubelet ${node.status?.nodeInfo?.kubeletVersion}, the variant needs ${expected.kubernetesMinor}` };

  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return waitOrAbandon(`Node ${name} is not Ready (${ready ? `${ready.status}${ready.reason ? `: ${ready.reason}` : ''}` : 'no Ready condition'})`);
  if (build === undefined) return waitOrAbandon(`Node ${name} has no ${WINDOWS_BUILD_LABEL} label`);
  if (minor === undefined) return waitOrAbandon(`Node ${name} reports no kubelet version`);

  const missingLabels = Object.entries(expected.labels).filter(([k, v]) => node.metadata.labels?.[k] !== v).map(([k, v]) => `${k}=${v}`);
  const missingTaints = expected.taints.filter((t) => !(node.spec.taints ?? []).some((u) => taintId(u) === taintId(t))).map(taintId);
  if (missingLabels.length || missingTaints.length)
    return waitOrAbandon(
      `Node ${name} lacks what the group's other nodes share: ${[...missingLabels.map((l) => `label ${l}`), ...missingTaints.map((t) => `taint ${t}`)].join(', ')}`,
    );
  return { verdict: 'continue', nodeName: name };
}
