import { awsError, required, type Ctx, type Handlers, type Input } from './context.js';

/**
 * The stack's run-state bucket (resources/stack.yml RunStateBucket): plans and wave outcomes as JSON objects.
 * Amazon S3 User Guide, "Uploading objects": one PUT stores at most 5 GB (larger is EntityTooLarge, 400).
 * Amazon S3 API Reference, "Error responses": NoSuchBucket and NoSuchKey are 404; a key is at most 1,024 bytes
 * of UTF-8 (KeyTooLongError, 400). User Guide, "Setting default server-side encryption behavior": every new object is
 * encrypted (SSE-S3 by default), so GetObject and PutObject answer ServerSideEncryption.
 */
export const S3_MAX_PUT_BYTES = 5 * 1024 ** 3;
const MAX_KEY_BYTES = 1024;

export interface S3ObjectRec {
  body: string;
  etag: string;
  lastModified: number;
}

/** Bodies as the SDK hands them back (GetObjectCommandOutput.Body is a stream with transformToString). */
export function s3Body(text: string) {
  return {
    transformToString: async (encoding?: string) => (encoding && encoding !== 'utf-8' && encoding !== 'utf8' ? Buffer.from(text, 'utf8').toString(encoding as BufferEncoding) : text),
    transformToByteArray: async () => new Uint8Array(Buffer.from(text, 'utf8')),
  };
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  throw awsError('InvalidArgument', 'the simulated S3 takes string or byte bodies only');
}

export function s3Handlers(ctx: Ctx, buckets: Set<string>, objects: Map<string, S3ObjectRec>): Handlers {
  const bucketOf = (input: Input) => {
    const bucket = required(input, 'Bucket', 'InvalidArgument');
    if (!buckets.has(bucket)) throw awsError('NoSuchBucket', 'The specified bucket does not exist', 404);
    return bucket;
  };
  const keyOf = (input: Input) => {
    const key = required(input, 'Key', 'InvalidArgument');
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw awsError('KeyTooLongError', 'Your key is too long');
    return key;
  };
  return {
    PutObject(input: Input) {
      const path = `${bucketOf(input)}/${keyOf(input)}`;
      const body = bodyText(input.Body);
      if (Buffer.byteLength(body) > S3_MAX_PUT_BYTES) throw awsError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
      const etag = `"${(++ctx.state.counter).toString(16).padStart(32, '0')}"`;
      objects.set(path, { body, etag, lastModified: ctx.now() });
      return { ETag: etag, ServerSideEncryption: 'AES256' };
    },
    GetObject(input: Input) {
      const path = `${bucketOf(input)}/${keyOf(input)}`;
      const o = objects.get(path);
      if (!o) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
      return { Body: s3Body(o.body), ContentLength: Buffer.byteLength(o.body), ETag: o.etag, LastModified: new Date(o.lastModified), ServerSideEncryption: 'AES256', ContentType: 'application/json' };
    },
  };
}
