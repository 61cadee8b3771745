import { PipelineError } from '../errors.js';
import { presignUrl, type AwsCredentials } from './sigv4.js';

/**
 * The bearer token EKS accepts from an IAM principal (aws-iam-authenticator's format,
 * what `aws eks get-token` prints): `k8s-aws-v1.` + base64url, without padding, of a
 * presigned STS GetCallerIdentity URL whose signed headers include `x-k8s-aws-id: <cluster>`.
 * The cluster name in a signed header is what stops a token minted for one cluster
 * from being replayed against another. The URL is presigned for 60 s, as the AWS CLI
 * does; EKS accepts the token for 15 minutes from X-Amz-Date, so a Lambda mints one per
 * invocation and never caches it across invocations.
 */
export const TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
export const PRESIGN_EXPIRES_SECONDS = 60;
/** How long EKS honours a token after its X-Amz-Date. */
export const TOKEN_LIFETIME_SECONDS = 15 * 60;

export interface TokenRequest {
  clusterName: string;
  region: string;
  credentials: AwsCredentials;
  /** Signing time; defaults to now. */
  date?: Date;
}

export interface EksToken {
  token: string;
  /** When EKS stops accepting it (ms since epoch). */
  expiresAt: number;
}

export class TokenError extends PipelineError {}

export function eksToken(req: TokenRequest): EksToken {
  if (!req.clusterName) throw new TokenError('clusterName is empty: give the EKS cluster name the token is for');
  if (!req.credentials.accessKeyId || !req.credentials.secretAccessKey)
    throw new TokenError('credentials lack accessKeyId or secretAccessKey: resolve them from the Lambda role (e.g. an SDK client\'s config.credentials())');
  const date = req.date ?? new Date();
  const url = presignUrl({
    host: `sts.${req.region}.amazonaws.com`,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { [CLUSTER_ID_HEADER]: req.clusterName },
    region: req.region,
    service: 'sts',
    credentials: req.credentials,
    date,
    expiresSeconds: PRESIGN_EXPIRES_SECONDS,
  });
  return { token: TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'), expiresAt: date.getTime() + TOKEN_LIFETIME_SECONDS * 1000 };
}
