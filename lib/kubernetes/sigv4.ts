import { createHash, createHmac } from 'node:crypto';

/**
 * SigV4 query-string presigning ("Authenticating Requests: Using Query Parameters",
 * AWS General Reference › Signature Version 4 › Create a signed request), for GET
 * requests with no body. Small and dependency-free so the Kubernetes Lambdas don't
 * pull a signer next to the one every SDK client already hides; test/kubernetes/token.test.ts
 * checks it against AWS's published example and against @smithy/signature-v4.
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface PresignRequest {
  host: string;
  path: string;
  query: Record<string, string>;
  /** Extra headers to sign (lowercase names); `host` is always signed. */
  headers: Record<string, string>;
  region: string;
  service: string;
  credentials: AwsCredentials;
  date: Date;
  expiresSeconds: number;
  /** Hex SHA-256 of the payload; S3 presigns with UNSIGNED-PAYLOAD, every other service hashes the empty body. */
  payloadHash?: string;
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

// RFC 3986: everything but the unreserved characters is percent-encoded (encodeURIComponent leaves !'()* alone).
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** YYYYMMDD'T'HHMMSS'Z' */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The presigned URL, with X-Amz-Signature last. */
export function presignUrl(req: PresignRequest): string {
  const longDate = amzDate(req.date);
  const shortDate = longDate.slice(0, 8);
  const scope = `${shortDate}/${req.region}/${req.service}/aws4_request`;
  const headers: Record<string, string> = { host: req.host };
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v.trim();
  const headerNames = Object.keys(headers).sort();
  const signedHeaders = headerNames.join(';');
  const query: Record<string, string> = {
    ...req.query,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${req.credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': longDate,
    'X-Amz-Expires': String(req.expiresSeconds),
    'X-Amz-SignedHeaders': signedHeaders,
    ...(req.credentials.sessionToken ? { 'X-Amz-Security-Token': req.credentials.sessionToken } : {}),
  };
  const canonicalQuery = Object.entries(query)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = headerNames.map((n) => `${n}:${headers[n]}\n`).join('');
  const canonicalRequest = ['GET', req.path, canonicalQuery, canonicalHeaders, signedHeaders, req.payloadHash ?? EMPTY_SHA256].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', longDate, scope, createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${req.credentials.secretAccessKey}`, shortDate), req.region), req.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return `https://${req.host}${req.path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}
