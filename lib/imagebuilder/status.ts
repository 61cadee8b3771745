import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { CancelImageCreationCommand, GetImageCommand, type ImageStatus } from '@aws-sdk/client-imagebuilder';
import { ec2 } from '../aws/ec2.js';
import { imageBuilder } from '../aws/image-builder.js';
import { TAG } from '../tags.js';
import { withRetries } from '../aws/retry.js';
import { ImageBuildFailedError, ImageBuildTimedOutError } from '../errors.js';
import { logger } from '../logger.js';
import { clientToken } from '../names.js';
import { nextPollSeconds } from '../polling.js';
import type { Notice } from '../notice.js';
import { imageReadyNotice } from '../notify/messages.js';
import type { VariantRun } from '../plan/types.js';
import type { BuildStarted } from './build.js';

/** A Windows build with update-windows usually takes about an hour. */
const EXPECTED_BUILD_SECONDS = 60 * 60;

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
  const out = await withRetries(() => imageBuilder.send(new GetImageCommand({ imageBuildVersionArn: build.imageBuildVersionArn })));
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
  await tagAmi(ami.image, req);
  logger.info('image ready', { amiId: ami.image, status });
  return { ...build, ready: true, status: 'AVAILABLE', waitSeconds: 0, amiId: ami.image, notice: imageReadyNotice(req, ami.image) };
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
  await withRetries(() => ec2.send(new CreateTagsCommand({ Resources: [amiId], Tags })));
}
