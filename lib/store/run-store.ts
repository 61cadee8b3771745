import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../aws/s3.js';
import { withRetries } from '../aws/retry.js';
import { RunStoreError } from '../errors.js';

/**
 * What grows with the fleet lives in the stack's run-state bucket (RunStateBucket: SSE-S3, public access blocked,
 * objects expire after 30 days), never in a Step Functions state (256 KB): a variant's plan with every node group
 * (`plan.json`), each wave's groups (`wave-<i>.json`, read by the state machine's own s3:getObject), each finished
 * wave's outcome (`outcome-<i>.json`, written by the state machine's s3:putObject) and the variant's result
 * (`result.json`). States carry the bucket, the prefix, indexes and counts.
 */
export interface StoreRef {
  bucket: string;
  /** runs/<execution name>/<variant id>/ */
  prefix: string;
}

export const storePrefix = (executionName: string, variantId: string) => `runs/${executionName}/${variantId}/`;
export const planKey = (ref: StoreRef) => `${ref.prefix}plan.json`;
export const waveKey = (ref: StoreRef, index: number) => `${ref.prefix}wave-${index}.json`;
export const outcomeKey = (ref: StoreRef, index: number) => `${ref.prefix}outcome-${index}.json`;
export const resultKey = (ref: StoreRef) => `${ref.prefix}result.json`;

export async function putJson(bucket: string, key: string, value: unknown): Promise<void> {
  const Body = JSON.stringify(value);
  await withRetries(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body, ContentType: 'application/json' })), { operation: 'PutObject' });
}

export async function getJson<T>(bucket: string, key: string): Promise<T> {
  try {
    const out = await withRetries(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })), { operation: 'GetObject' });
    const text = await out.Body?.transformToString('utf-8');
    if (text === undefined) throw new RunStoreError(`s3://${bucket}/${key} has no body`);
    return JSON.parse(text) as T;
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
