import type { Notice } from '../notice.js';
import type { Stage } from '../input.js';

/** One Auto Scaling group as the plan found it: the launch template version it really runs. */
export interface NodeGroupPlan {
  asgName: string;
  launchTemplateId: string;
  /** The explicit version number the ASG uses today (resolved from $Latest/$Default when allowed). */
  version: string;
  canary: boolean;
  imageId: string;
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
  /** Canary wave first; every other wave at most rollout.waveSize groups. */
  waves: NodeGroupPlan[][];
  warnings: string[];
  /** Name of this variant's child execution (deterministic: one per run and variant). */
  childName: string;
}

export interface RunPlan {
  executionName: string;
  trigger: string;
  reason: string;
  dryRun: boolean;
  variants: VariantPlan[];
  warnings: string[];
  notice: Notice;
}

/** What a variant's child execution receives. */
export interface VariantRun {
  run: { executionName: string; startTime: string; reason: string };
  variant: VariantPlan;
}
