import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { CancelImageCreationCommand, GetImageCommand, type ImageStatus } from '@aws-sdk/client-imagebuilder';
import { ec2 } from '../aws/ec2.js';
import { imageBuilder } from '../aws/image-builder.js';
import { TAG } from '../tags.js';
import { isRetryable, withRetries } from '../aws/retry.js';
import { AmiTaggingFailedError, ImageBuildFailedError, ImageBuildTimedOutError } from '../errors.js';
import { logger } from '../logger.js';
import { clientToken } from '../names.js';
import { nextPollSeconds } from '../polling.js';
import type { Notice } from '../notice.js';
import { imageReadyNotice } from '../notify/messages.js';
import type { VariantRun } from '../plan/types.js';
import type { BuildStarted } from './build.js';

/** A Windows build with update-windows usually takes about an hour. */
const EXPECTED_BUILD_SECONDS = 60 * 60;
/** A built AMI whose tagging keeps failing (throttling, a service fault) is retried on every check for at least this long. */
export const TAGGING_GRACE_SECONDS = 60 * 60;
const TAGGING_RETRY_SECONDS = 120;

export type ImageVerdict = 'ready' | 'failed' | 'timedOut' | 'waiting';

/** FAILED and CANCELLED end the line; a build past its deadline is cancelled rather than waited on forever. */
export function judgeImage(status: ImageStatus | undefined, elapsedSeconds: number, timeoutMinutes: number): ImageVerdict {
  if (status === 'AVAILABLE') return 'ready';
  if (status === 'FAILED' || status === 'CANCELLED' || status === 'DELETED' || status === 'DISABLED') return 'failed';
  if (elapsedSeconds > timeoutMinutes * 60) return 'timedOut';
  return 'waiting';
}

/** The build as the state machine carries it from check to check ($.image). */
export interface ImageState extends BuildStarted {
  status: string;
  ready: boolean;
  amiId: string | null;
  waitSeconds: number;
  notice: Notice | null;
  /** When the build was first seen AVAILABLE with its AMI still untagged (tagging is retried until it succeeds). */
  untaggedSince?: string;
}

export interface ImageCheckRequest extends VariantRun {
  image: ImageState;
  executionArn: string;
  region: string;
  timeoutMinutes: number;
  pollSeconds: number;
}

export async function checkImage(req: ImageCheckRequest): Promise<ImageState> {
  const build = req.image;
  const out = await withRetries(() => imageBuilder.send(new GetImageCommand({ imageBuildVersionArn: build.imageBuildVersionArn })), { operation: 'GetImage' });
  const status = out.image?.state?.status;
  const elapsed = (Date.now() - buildStart(build.startedAt, out.image?.dateCreated)) / 1000;
  const verdict = judgeImage(status, elapsed, req.timeoutMinutes);
  const logGroup = `/aws/imagebuilder/${build.recipeName}`;
  if (verdict === 'failed')
    throw new ImageBuildFailedError(`Image build ${status}: ${out.image?.state?.reason ?? 'no reason given'} (build logs: CloudWatch log group ${logGroup}; image ${build.imageBuildVersionArn})`);
  if (verdict === 'timedOut') {
    await withRetries(() =>
      imageBuilder.send(new CancelImageCreationCommand({ imageBuildVersionArn: build.imageBuildVersionArn, clientToken: clientToken('cancel', build.imageBuildVersionArn) })),
    );
    throw new ImageBuildTimedOutError(`Image build still ${status} after ${req.timeoutMinutes} minutes: cancelled (build logs: CloudWatch log group ${logGroup})`);
  }
  if (verdict === 'waiting') {
    const untilDeadline = Math.ceil(req.timeoutMinutes * 60 - elapsed) + 1;
    // Never sleep far past the deadline: an overdue build is cancelled on time, not one long wait later.
    const waitSeconds = nextPollSeconds({ elapsedSeconds: elapsed, expectedSeconds: EXPECTED_BUILD_SECONDS, min: 60, max: Math.max(60, Math.min(req.pollSeconds * 4, untilDeadline)) });
    return { ...build, ready: false, status: status ?? 'UNKNOWN', waitSeconds, amiId: null, notice: null };
  }
  const amis = out.image?.outputResources?.amis ?? [];
  const ami = amis.find((a) => a.region === req.region) ?? amis[0];
  if (!ami?.image) throw new ImageBuildFailedError(`Image build AVAILABLE but it lists no AMI (image ${build.imageBuildVersionArn})`);
  try {
    await tagAmi(ami.image, req);
  } catch (error) {
    return untagged(build, ami.image, error, elapsed, req.timeoutMinutes);
  }
  logger.info('image ready', { amiId: ami.image, status });
  const { untaggedSince: _since, ...done } = build;
  return { ...done, ready: true, status: 'AVAILABLE', waitSeconds: 0, amiId: ami.image, notice: imageReadyNotice(req, ami.image) };
}

/**
 * The build finished but its AMI could not be tagged. It is not a failed build: the
 * AMI exists, and without our tags nothing (detect-release, the next run, an operator)
 * can tell where it came from. A transient failure is retried on every check until the
 * build's deadline or an hour after it finished, whichever is later; a lasting one ends
 * the variant with an error that names the AMI (the failure notice carries it too).
 */
export function untagged(build: ImageState, amiId: string, error: unknown, elapsedSeconds: number, timeoutMinutes: number): ImageState {
  const since = build.untaggedSince ?? new Date().toISOString();
  const untaggedFor = (Date.now() - Date.parse(since)) / 1000;
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const pastDeadline = elapsedSeconds > timeoutMinutes * 60 && untaggedFor >= TAGGING_GRACE_SECONDS;
  if (!isRetryable(error) || pastDeadline)
    throw new AmiTaggingFailedError(
      `Image build ${build.imageBuildVersionArn} finished: AMI ${amiId} exists but could not be tagged (${reason}). Tag it (keys from amiTags) or deregister it before the next run; it was not rolled out.`,
    );
  logger.warn('image built but its AMI is not tagged yet: retrying on the next check', { amiId, reason });
  return { ...build, ready: false, status: 'AVAILABLE', waitSeconds: TAGGING_RETRY_SECONDS, amiId, notice: null, untaggedSince: since };
}

/**
 * The deadline runs from the build's own creation: a BuildPatchedImage retry gets the
 * same build back (client token) but a later startedAt, which must not extend it.
 */
export function buildStart(startedAt: string, dateCreated: string | undefined): number {
  const started = Date.parse(startedAt);
  const created = dateCreated === undefined ? Number.NaN : Date.parse(dateCreated);
  return Number.isFinite(created) && created < started ? created : started;
}

/** Tags say where an AMI came from, so an operator (and detect-release) can trace it. */
export function amiTags(req: VariantRun): Record<string, string> {
  return {
    [TAG.variant]: req.variant.id,
    [TAG.sourceAmi]: req.variant.sourceAmi,
    [TAG.execution]: req.run.executionName,
    [TAG.kubernetes]: req.variant.kubernetes,
    [TAG.imagesDigest]: req.variant.imagesDigest,
  };
}

async function tagAmi(amiId: string, req: VariantRun): Promise<void> {
  const Tags = Object.entries(amiTags(req)).map(([Key, Value]) => ({ Key, Value }));
  await withRetries(() => ec2.send(new CreateTagsCommand({ Resources: [amiId], Tags })), { operation: 'CreateTags' });
}
