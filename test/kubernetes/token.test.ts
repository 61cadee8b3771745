import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { presignUrl } from '../../lib/kubernetes/sigv4.js';
import { eksToken, TokenError, TOKEN_PREFIX } from '../../lib/kubernetes/token.js';

// AWS's documentation example credentials (never valid anywhere).
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const date = new Date('2026-12-01T21:00:00Z');

function decode(token: string): URL {
  return new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

describe('eksToken', () => {
  it('is k8s-aws-v1. followed by base64url without padding', () => {
    const { token } = eksToken({ clusterName: 'prod-windows', region: 'us-west-2', credentials, date });
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token.slice(TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('encodes a presigned STS GetCallerIdentity URL with x-k8s-aws-id signed and a 60 s presign', () => {
    const url = decode(eksToken({ clusterName: 'prod-windows', region: 'eu-central-1', credentials: { ...credentials, sessionToken: 'FwoGZXIvYXdzE+/=' }, date }).token);
    expect(url.origin).toBe('https://sts.eu-central-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIAIOSFODNN7EXAMPLE/20261201/eu-central-1/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20261201T210000Z');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('FwoGZXIvYXdzE+/=');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same signature for the same credentials, cluster and date, and another for another cluster', () => {
    const sig = (clusterName: string) => decode(eksToken({ clusterName, region: 'us-west-2', credentials, date }).token).searchParams.get('X-Amz-Signature');
    expect(sig('prod-windows')).toBe(sig('prod-windows'));
    // Pinned: a change to canonicalisation shows here first (the SDK cross-check below proves the value right).
    expect(sig('prod-windows')).toBe('9e750c9f68bdc48cda8c69427e6dc7ecfabbfa5f457ffb8a9ef68fcd6c599a96');
    expect(sig('prod-windows')).not.toBe(sig('staging-windows'));
  });

  it('signs exactly as the AWS SDK signer (@smithy/signature-v4) does', async () => {
    const creds = { ...credentials, sessionToken: 'session/token+with=odd chars' };
    const url = decode(eksToken({ clusterName: 'prod-windows', region: 'us-west-2', credentials: creds, date }).token);
    const signer = new SignatureV4({ credentials: creds, region: 'us-west-2', service: 'sts', sha256: Sha256 });
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname: 'sts.us-west-2.amazonaws.com',
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: 'sts.us-west-2.amazonaws.com', 'x-k8s-aws-id': 'prod-windows' },
      },
      { expiresIn: 60, signingDate: date },
    );
    expect(url.searchParams.get('X-Amz-Signature')).toBe(presigned.query?.['X-Amz-Signature']);
  });

  it('refuses an empty cluster name, naming the field', () => {
    expect(() => eksToken({ clusterName: '', region: 'us-west-2', credentials, date })).toThrow(TokenError);
    expect(() => eksToken({ clusterName: '', region: 'us-west-2', credentials, date })).toThrow(/clusterName/);
  });
});

describe('presignUrl', () => {
  // "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", Amazon S3 API Reference: the worked example.
  it("reproduces AWS's published presigned-URL example signature", () => {
    const url = new URL(
      presignUrl({
        host: 'examplebucket.s3.amazonaws.com',
        path: '/test.txt',
        query: {},
        headers: {},
        region: 'us-east-1',
        service: 's3',
        credentials,
        date: new Date('2013-05-24T00:00:00Z'),
        expiresSeconds: 86400,
        payloadHash: 'UNSIGNED-PAYLOAD',
      }),
    );
    expect(url.searchParams.get('X-Amz-Signature')).toBe('aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  });
});
