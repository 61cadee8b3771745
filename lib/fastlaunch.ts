import { DescribeFastLaunchImagesCommand, EnableFastLaunchCommand, type FastLaunchStateCode } from '@aws-sdk/client-ec2';
import { ec2 } from './aws/clients.js';
import { withRetries } from './aws/retry.js';
import { FastLaunchFailedError } from './errors.js';
import { logger } from './logger.js';
import { nextPollSeconds } from './polling.js';

/** Pre-provisioning snapshots for a Windows AMI takes about half an hour. */
const EXPECTED_ENABLE_SECONDS = 30 * 60;

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

/**
 * Always the stack's dedicated launch template (subnet, security group, IMDSv2, no
 * user data): a node group's template would make the pre-provisioning instances
 * join the cluster.
 */
export async function enableFastLaunch(amiId: string, launchTemplateId: string, s: FastLaunchSettings): Promise<FastLaunchState> {
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
  );
  logger.info('fast launch enabling', { amiId, launchTemplateId, maxParallelLaunches: s.maxParallelLaunches });
  return { amiId, startedAt: new Date().toISOString(), state: 'enabling', ready: false, waitSeconds: s.pollSeconds, warning: null };
}

export type FastLaunchVerdict = 'ready' | 'failed' | 'waiting';

export function judgeFastLaunch(state: FastLaunchStateCode | string | undefined): FastLaunchVerdict {
  if (state === 'enabled') return 'ready';
  if (state === 'enabling-failed' || state === 'enabled-failed' || state === 'disabling' || state === 'disabling-failed' || state === undefined) return 'failed';
  return 'waiting';
}

/** A failed Fast Launch only slows launches down: per config it warns and the rollout goes on, or it stops the line. */
export async function checkFastLaunch(started: FastLaunchState, s: FastLaunchSettings): Promise<FastLaunchState> {
  const out = await withRetries(() => ec2.send(new DescribeFastLaunchImagesCommand({ ImageIds: [started.amiId] })));
  const image = out.FastLaunchImages?.[0];
  const state = image?.State ?? 'not-enabled';
  const verdict = judgeFastLaunch(image?.State);
  if (verdict === 'waiting') {
    const elapsed = (Date.now() - Date.parse(started.startedAt)) / 1000;
    return { ...started, ready: false, state, waitSeconds: nextPollSeconds({ elapsedSeconds: elapsed, expectedSeconds: EXPECTED_ENABLE_SECONDS, min: 30, max: s.pollSeconds * 4 }), warning: null };
  }
  if (verdict === 'ready') return { ...started, ready: true, state, waitSeconds: 0 };
  const reason = `Fast Launch for ${started.amiId} is ${state}: ${image?.StateTransitionReason ?? 'no reason given'}`;
  if (s.onFailure === 'fail') throw new FastLaunchFailedError(`${reason} (fastLaunch.onFailure is "fail")`);
  logger.warn('fast launch failed; rolling out without it', { amiId: started.amiId, state });
  return { ...started, ready: true, state, waitSeconds: 0, warning: `${reason}; new nodes launch without pre-provisioned snapshots (slower first boot)` };
}
