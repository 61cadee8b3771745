import type { Notice } from '../notice.js';
import type { GroupLoad, WaveLimit } from '../rollout/admission.js';
import type { Stage } from '../stages.js';

/**
 * One node group as the plan found it: the launch template version it really runs. A
 * self-managed ASG (no `managed`), or an EKS managed node group (`managed`): then asgName is
 * the node group's own ASG (DescribeNodegroup resources.autoScalingGroups[0].name, EKS's), and
 * launchTemplateId/version/imageId are the node group's launchTemplate and that version's ImageId.
 */
export interface NodeGroupPlan {
  asgName: string;
  /** Present: an EKS managed node group, updated through EKS (UpdateNodegroupVersion), never refreshed directly. */
  managed?: ManagedNodeGroupRef;
  launchTemplateId: string;
  /** The explicit version number the ASG uses today (resolved from $Latest/$Default when allowed). */
  version: string;
  canary: boolean;
  imageId: string;
  /** rollout.surge: this group's MaxHealthyPercentage when its share of the extra-instance budget allows more than rollout.maxHealthyPercentage. */
  maxHealthyPercentage?: number;
  /** In a wave that hands over (lib/rollout/hand-over.ts): the PercentageComplete of its refresh once its first batch is replaced. */
  firstBatchPercent?: number;
  /** In a wave that hands over by proof, or is handed over to by proof: what it holds while it refreshes (lib/rollout/admission.ts). */
  load?: GroupLoad;
  /**
   * Absent: the group's EKS cluster is unknown, so no readiness gate and no drain. Always absent for
   * a managed node group: EKS drains its nodes itself and our lifecycle hooks must not go on its ASG
   * (its cluster is `managed.cluster`).
   */
  kubernetes?: NodeGroupKubernetes;
}

export interface ManagedNodeGroupRef {
  cluster: string;
  nodegroup: string;
}

/**
 * What the run does in the group's cluster while it refreshes the group. drain: 'ours' adds
 * our termination hook; { assumed } names another drainer's termination hook that stays.
 */
export interface NodeGroupKubernetes {
  cluster: string;
  gate: boolean;
  drain: 'ours' | 'off' | { assumed: string };
}

export interface VariantPlan {
  id: string;
  windows: '2019' | '2022' | '2025';
  edition: 'Core' | 'Full';
  kubernetes: string;
  /** AWS's public parameter for this variant's EKS-optimized AMI. */
  sourceParameter: string;
  /** The AMI the build starts from (parameter value or explicit baseAmi). */
  sourceAmi: string;
  lastBuiltSourceAmi: string | null;
  /** For runs without the build stage: the AMI to roll out. */
  amiId: string | null;
  stages: Record<Stage, boolean>;
  images: string[];
  imagesDigest: string;
  /**
   * True when input.nodeGroups left some of this variant's node groups out: those may
   * still run an old AMI, so nothing is retired after the run. Absent in older plans.
   */
  nodeGroupsLimited?: boolean;
  /** Canary wave first; then progressive waves (lib/rollout/waves.ts), or fixed ones of rollout.waveSize. */
  waves: NodeGroupPlan[][];
  /**
   * The waves in the order they run: each round's waves are the state-sized parts of one wave (lib/store/wave-budget.ts)
   * and run side by side; the next round starts once every part passed. Absent (older plans): each wave its own round.
   */
  rounds?: number[][];
  /** Indexes of the waves that hand over to the next round (lib/rollout/hand-over.ts): at their first batch, or by proof; absent: none. */
  handOver?: number[];
  /** The waves of handOver that hand over by proof, by index: how many of their own groups must have finished first. */
  proof?: Record<number, number>;
  /** The waves handed over to by proof, by index: their share of the variant's limits, the carried groups included. */
  limits?: Record<number, WaveLimit>;
  /**
   * For each wave, the carry-<i>.json it leaves its groups still refreshing in: the wave of the next round it hands over
   * to, else its own (read when it started). Absent (older plans): the wave after it.
   */
  carryTo?: number[];
  warnings: string[];
  /** Name of this variant's child execution (deterministic: one per run and variant). */
  childName: string;
}

/**
 * now: go ahead. wait: another active run covers one of the variants; look again in
 * waitSeconds. skip: end cleanly without changes (busy too long, or nothing to do).
 */
export type Proceed = 'now' | 'wait' | 'skip';

export interface RunPlan {
  executionName: string;
  trigger: string;
  reason: string;
  dryRun: boolean;
  variants: VariantPlan[];
  /** Variants left out because their last successful build already used today's source AMI (release runs only). */
  upToDate: { variantId: string; sourceAmi: string }[];
  /** Earlier active runs that cover the same variants. */
  busyWith: { executionName: string; variants: string[] }[];
  proceed: Proceed;
  waitSeconds: number;
  warnings: string[];
  /** The lifecycle hooks the run adds (names by stage); absent when no group gets a gate or our drain. */
  lifecycleHooks?: { ready: string; drain: string };
  /** The start notice; for a dry-run the plan itself; for a skipped run why it ended. */
  notice: Notice;
}

/** What a variant's child execution receives. */
export interface VariantRun {
  run: { executionName: string; startTime: string; reason: string };
  variant: VariantPlan;
}

/** How messages name a group: its ASG, or "<cluster>/<node group>" for a managed node group. */
export const groupName = (g: Pick<NodeGroupPlan, 'asgName' | 'managed'>): string => (g.managed ? `${g.managed.cluster}/${g.managed.nodegroup}` : g.asgName);
