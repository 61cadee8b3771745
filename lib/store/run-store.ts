import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../aws/s3.js';
import { withRetries } from '../aws/retry.js';
import { RunStoreError } from '../errors.js';

export type { StoreRef } from './keys.js';
export { carryKey, failureKey, fleetKey, outcomeKey, planKey, resultKey, stopKey, storePrefix, waveKey } from './keys.js';

export async function putJson(bucket: string, key: string, value: unknown): Promise<void> {
  const Body = JSON.stringify(value);
  await withRetries(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body, ContentType: 'application/json' })), { operation: 'PutObject' });
}

export async function getJson<T>(bucket: string, key: string): Promise<T> {
  return JSON.parse(await getText(bucket, key)) as T;
}

export async function getText(bucket: string, key: string): Promise<string> {
  try {
    const out = await withRetries(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })), { operation: 'GetObject' });
    const text = await out.Body?.transformToString('utf-8');
    if (text === undefined) throw new RunStoreError(`s3://${bucket}/${key} has no body`);
    return text;
  } catch (error) {
    if (error instanceof RunStoreError) throw error;
    const e = error as Error;
    throw new RunStoreError(`cannot read s3://${bucket}/${key} (${e.name}: ${e.message}): the run's stored state is gone (expired, or the bucket was emptied); start a new run`);
  }
}

/** Many objects, a few at a time (S3 scales per prefix; a Lambda's sockets do not). */
export async function getAll<T>(bucket: string, keys: readonly string[], concurrency = 16): Promise<T[]> {
  const out: T[] = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < keys.length; i = next++) out[i] = await getJson<T>(bucket, keys[i] as string);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
  return out;
}
