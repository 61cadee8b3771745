import type { PipelineConfig } from '../config.js';
import { clusterProblems } from './cluster-checks.js';
import type { AccessQuestions } from './fleet.js';
import { instanceProfileRoles } from './iam.js';

/**
 * What CheckAccess read for the plan (IAM and EKS, and the clusters' Kubernetes APIs): the role of each instance profile
 * (null: none, or no such profile) and what stops the Lambdas from using each cluster. Small: per profile and per cluster.
 */
export interface AccessFacts {
  profileRoles: Record<string, string | null>;
  clusterProblems: string[];
}

export async function checkAccess(questions: AccessQuestions, config: PipelineConfig): Promise<AccessFacts> {
  const roles = questions.profiles.length ? await instanceProfileRoles(questions.profiles) : new Map<string, string | undefined>();
  return {
    profileRoles: Object.fromEntries([...roles].map(([profile, role]) => [profile, role ?? null])),
    clusterProblems: questions.clusters.length ? await clusterProblems(questions.clusters, config.kubernetes.vpc !== undefined) : [],
  };
}
