import { windowsBuildForVariant } from '../images.js';
import { nodeOfInstance, WINDOWS_BUILD_LABEL } from '../kubernetes/gate.js';
import type { Node } from '../kubernetes/types.js';
import { verdictFor, verdictTagKey } from '../lifecycle/metadata.js';
import { logger } from '../logger.js';
import { hookPlanOf, removeGroupHooks, type WaveHooks } from './hooks.js';
import type { GroupProgress, WaveProgress } from './refresh.js';
import { liveSpecs, type LiveSpec } from './standing.js';

const running = (g: GroupProgress) => g.state === 'refreshing' || g.state === 'busy';

/**
 * After a poll, for each group whose refresh ended on it and that had our hooks: the hooks come off (whatever the
 * outcome), the verdict our lifecycle actions left on the group becomes its reason (why the refresh rolled back: a node
 * that never became Ready, a drain that ran out of time), and a group the refresh calls patched is patched only if
 * the cluster agrees: every instance has a Ready Node with the variant's Windows build.
 */
export async function judgeInCluster(before: WaveProgress, after: WaveProgress, hooks: WaveHooks | undefined): Promise<WaveProgress> {
  if (!hooks) return after;
  const wasRunning = new Set(before.groups.filter(running).map((g) => g.asgName));
  const ended = after.groups.filter((g) => !running(g) && wasRunning.has(g.asgName) && hookPlanOf(g));
  if (ended.length === 0) return after;
  for (const g of ended) await removeGroupHooks(g, hooks.stage);
  const live = await liveSpecs(ended.map((g) => g.asgName));
  const nodesOf = new Map<string, Promise<Node[]>>();
  const clusterNodes = (cluster: string) => {
    if (!nodesOf.has(cluster)) nodesOf.set(cluster, hooks.kubernetes(cluster).then((c) => c.listNodes()));
    return nodesOf.get(cluster) as Promise<Node[]>;
  };
  const judged = new Map<string, GroupProgress>();
  for (const g of ended) judged.set(g.asgName, await judgeOne(g, live.get(g.asgName), hooks, clusterNodes));
  return { ...after, groups: after.groups.map((g) => judged.get(g.asgName) ?? g) };
}

async function judgeOne(g: GroupProgress, spec: LiveSpec | undefined, hooks: WaveHooks, clusterNodes: (c: string) => Promise<Node[]>): Promise<GroupProgress> {
  const verdict = verdictFor(spec?.tags[verdictTagKey(hooks.stage)], g.refreshId);
  if (g.state !== 'patched') return verdict ? { ...g, reason: g.reason ? `${verdict} (Auto Scaling: ${g.reason})` : verdict } : g;
  // A drain that ran out of time under onTimeout: terminate: the pods it names went with their node, not through the
  // Eviction API, so the group is not cleanly patched (partial, with no old instances), whatever EC2 says.
  const judged: GroupProgress = verdict ? { ...g, state: 'partial', oldInstances: [], reason: verdict } : g;
  if (!g.kubernetes?.gate) return judged;
  const build = windowsBuildForVariant(hooks.variant.windows);
  const nodes = await clusterNodes(g.kubernetes.cluster);
  const notReady = (spec?.instances ?? []).filter((i) => {
    const n = nodeOfInstance(nodes, i.instanceId);
    return n?.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True' || n.metadata.labels?.[WINDOWS_BUILD_LABEL] !== build;
  });
  if (notReady.length === 0) return judged;
  const ids = notReady.map((i) => i.instanceId);
  logger.error(`refresh ended Successful but the cluster disagrees for ${ids.join(', ')}`, { asgName: g.asgName });
  return {
    ...g,
    state: 'failed',
    reason: `refresh ended Successful but ${ids.length} instance(s) have no Ready Node with Windows build ${build} in cluster ${g.kubernetes.cluster}: ${ids.join(', ')}`,
  };
}
