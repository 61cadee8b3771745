import { loadConfig } from '../lib/pipeline-config.js';
import { logFor, logger } from '../lib/logger.js';
import { checkAccess, type AccessFacts } from '../lib/plan/access.js';
import type { AccessQuestions } from '../lib/plan/fleet.js';

interface Event extends AccessQuestions {
  executionName: string;
}

/** Reads the roles of the node groups' instance profiles and checks that the Lambdas can use each cluster the run talks to; writes nothing. */
export const handler = async (event: Event): Promise<AccessFacts> => {
  logFor({ executionId: event.executionName });
  const access = await checkAccess({ profiles: event.profiles, clusters: event.clusters }, loadConfig());
  logger.info('access checked', { profiles: event.profiles.length, clusters: event.clusters.length, problems: access.clusterProblems.length });
  return access;
};
