import { DescribeFastLaunchImagesCommand, EnableFastLaunchCommand, type FastLaunchStateCode } from '@aws-sdk/client-ec2';
import { ec2 } from '../aws/ec2.js';
import { withRetries } from '../aws/retry.js';
import { FastLaunchFailedError } from '../errors.js';
import { logger } from '../logger.js';
import { nextPollSeconds } from '../polling.js';

/** Pre-provisioning snapshots for a Windows AMI takes about half an hour. */
const EXPECTED_ENABLE_SECONDS = 30 * 60;
/** Without a bound, an AMI stuck in `enabling` would keep the variant polling until the execution times out. */
export const FAST_LAUNCH_TIMEOUT_SECONDS = 3 * EXPECTED_ENABLE_SECONDS;

export interface FastLaunchSettings {
  maxParallelLaunches: number;
  targetResourceCount: number;
  onFailure: 'warn' | 'fail';
  pollSeconds: number;
}

/** Fast Launch as the state machine carries it from check to check ($.fastLaunch). */
export interface FastLaunchState {
  amiId: string;
  startedAt: string;
  state: string;
  ready: boolean;
  waitSeconds: number;
  warning: string | null;
}

/** EC2 refuses EnableFastLaunch when the regional parallel-launch quota is used up (other AMIs still hold it). */
function isQuotaError(error: unknown): error is Error {
  return error instanceof Error && /LimitExceeded|QuotaExceeded/.test(error.name);
}

/**
 * EC2 enables Fast Launch again only once an earlier DisableFastLaunch removed every snapshot
 * (EC2 API Reference, DisableFastLaunch); the error it returns meanwhile is not documented, so
 * the image's state says whether that is why. A rerun soon after a failed variant meets this.
 * A failed look leaves the enable's own error to speak.
 */
async function imageState(amiId: string) {
  const out = await withRetries(() => ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [amiId] })), { operation: 'DescribeFastLaunchImages' }).catch(() => undefined);
  return out?.FastLaunchImages?.find((i) => i.ImageId === amiId);
}

/**
 * Always the stack's dedicated launch template (subnet, security group, IMDSv2, no
 * user data): a node group's template would make the pre-provisioning instances
 * join the cluster.
 */
export async function enableFastLaunch(amiId: string, launchTemplateId: string, s: FastLaunchSettings): Promise<FastLaunchState> {
  const startedAt = new Date().toISOString();
  try {
    await withRetries(() =>
      ec2.send(
        new EnableFastLaunchCommand({
          ImageId: amiId,
          ResourceType: 'snapshot',
          SnapshotConfiguration: { TargetResourceCount: s.targetResourceCount },
          LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: '$Default' },
          MaxParallelLaunches: s.maxParallelLaunches,
        }),
      ),
      { operation: 'EnableFastLaunch' },
    );
  } catch (error) {
    if (isQuotaError(error)) return failed({ amiId, startedAt, state: 'not-enabled', ready: false, waitSeconds: 0, warning: null }, `Fast Launch for ${amiId} was refused: ${error.message}`, s);
    const now = await imageState(amiId);
    // EnableFastLaunch has no client token: when a retry follows a start whose answer was lost, the image is
    // already enabling with our template. That is our own start, not a failure.
    if ((now?.State === 'enabling' || now?.State === 'enabled') && now.LaunchTemplate?.LaunchTemplateId === launchTemplateId) {
      logger.info('fast launch already enabling with our launch template (an earlier answer was lost)', { amiId, launchTemplateId });
      return { amiId, startedAt, state: 'enabling', ready: false, waitSeconds: s.pollSeconds, warning: null };
    }
    if (now?.State !== 'disabling') throw error;
    return failed(
      { amiId, startedAt, state: 'not-enabled', ready: false, waitSeconds: 0, warning: null },
      `Fast Launch for ${amiId} was refused: it is still being disabled (an earlier run turned it off), and EC2 enables it again only once its pre-provisioned snapshots are removed, in a few minutes`,
      s,
    );
  }
  logger.info('fast launch enabling', { amiId, launchTemplateId, maxParallelLaunches: s.maxParallelLaunches });
  return { amiId, startedAt, state: 'enabling', ready: false, waitSeconds: s.pollSeconds, warning: null };
}

export type FastLaunchVerdict = 'ready' | 'failed' | 'waiting';

export function judgeFastLaunch(state: FastLaunchStateCode | string | undefined): FastLaunchVerdict {
  if (state === 'enabled') return 'ready';
  if (state === 'enabling-failed' || state === 'enabled-failed' || state === 'disabling' || state === 'disabling-failed' || state === undefined) return 'failed';
  return 'waiting';
}

/** A failed Fast Launch only slows launches down: per config it warns and the rollout goes on, or it stops the line. */
export async function checkFastLaunch(started: FastLaunchState, s: FastLaunchSettings): Promise<FastLaunchState> {
  // Already settled by the enable step (a refused enable with onFailure "warn"): keep its warning.
  if (started.ready) return { ...started, waitSeconds: 0 };
  const out = await withRetries(() => ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [started.amiId] })));
  const image = out.FastLaunchImages?.[0];
  const state = image?.State ?? 'not-enabled';
  const verdict = judgeFastLaunch(image?.State);
  const elapsed = (Date.now() - Date.parse(started.startedAt)) / 1000;
  if (verdict === 'waiting' && elapsed >= FAST_LAUNCH_TIMEOUT_SECONDS)
    return failed({ ...started, state }, `Fast Launch for ${started.amiId} was still ${state} after ${Math.round(elapsed / 60)} minutes`, s);
  if (verdict === 'waiting')
    return { ...started, ready: false, state, waitSeconds: nextPollSeconds({ elapsedSeconds: elapsed, expectedSeconds: EXPECTED_ENABLE_SECONDS, min: 30, max: s.pollSeconds * 4 }), warning: null };
  if (verdict === 'ready') return { ...started, ready: true, state, waitSeconds: 0 };
  return failed({ ...started, state }, `Fast Launch for ${started.amiId} is ${state}: ${image?.StateTransitionReason ?? 'no reason given'}`, s);
}

function failed(current: FastLaunchState, reason: string, s: FastLaunchSettings): FastLaunchState {
  if (s.onFailure === 'fail') throw new FastLaunchFailedError(`${reason} (fastLaunch.onFailure is "fail")`);
  logger.warn('fast launch failed; rolling out without it', { amiId: current.amiId, state: current.state, reason });
  return { ...current, ready: true, waitSeconds: 0, warning: `${reason}; new nodes launch without pre-provisioned snapshots (slower first boot)` };
}
