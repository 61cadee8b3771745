import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { PassThrough } from 'node:stream';
import { presignUrl } from '../../../lib/kubernetes/sigv4.js';
import type { CallRecord } from '../install.js';
import { operationFor, type KubernetesApi } from './api.js';

/**
 * The simulated clusters' API server endpoints on the network, seen from production code: `node:https`
 * requests whose hostname is a simulated endpoint are answered by the simulated API (KubernetesApi.request);
 * every other request goes to the real `https.request`. lib/ is untouched: the `node:https` module object is
 * patched and syncBuiltinESMExports() (Node.js "Modules: node:module API") updates the named ESM export that
 * lib/kubernetes/https.ts imports. The answer objects behave like ClientRequest / IncomingMessage for what
 * that transport uses (Node.js "HTTP": the 'response' callback, statusCode, 'data'/'end', 'timeout'/'error',
 * write, end, destroy).
 */
export interface SimulatedEndpoint {
  clusterName: string;
  /** The caller's role has an EKS access entry the cluster honours; false: 401. */
  accessEntry: boolean;
  /** false: no connection to the endpoint opens from the Lambdas (see UnreachableRequest). Default true. */
  reachable?: boolean;
  api: KubernetesApi;
  /** Brings the cluster up to now (instances booted or terminated since the last request). */
  sync(): void;
}

export interface EndpointOptions {
  resolve(hostname: string): SimulatedEndpoint | undefined;
  now(): number;
  onCall?: (rec: CallRecord) => void;
  /** The secret of an access key the simulated STS knows: such tokens have their signature (and so their cluster name) checked. */
  secretOf?: (accessKeyId: string) => string | undefined;
}

export interface TokenCheck {
  /** The cluster the request is for (the value x-k8s-aws-id must have been signed with). */
  clusterName: string;
  secretOf?: (accessKeyId: string) => string | undefined;
}

type Options = { hostname?: string | null; host?: string | null; method?: string; path?: string | null; headers?: Record<string, unknown>; timeout?: number };

/** What aws-iam-authenticator accepts as a presigned STS URL's query ("pkg/token" verifier's parameter allow-list). */
const ALLOWED_PARAMS = new Set(['action', 'version', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-expires', 'x-amz-security-token', 'x-amz-signature', 'x-amz-signedheaders']);
const TOKEN_LIFETIME_MS = 15 * 60_000;

/**
 * Why the API server would refuse the bearer token (401), or undefined. Follows EKS User Guide, "Cluster
 * authentication" / aws-iam-authenticator's token verifier: `k8s-aws-v1.` + base64url (no padding) of an
 * https STS GetCallerIdentity URL presigned with SigV4, x-k8s-aws-id among the signed headers, X-Amz-Date
 * no older than 15 minutes. The signature itself is checked by STS with the caller's secret, which the
 * simulation has only for the access keys given to it (`secretOf`): for those the signature is recomputed
 * with `x-k8s-aws-id: <cluster>`, which proves the token was minted for this cluster; for any other key only
 * the shape is checked (NOTE more forgiving than AWS: such a token minted for another cluster is accepted).
 * A token dated in the future is refused (the stricter reading of clock skew).
 */
export function tokenProblem(authorization: unknown, now: number, check?: TokenCheck): string | undefined {
  const m = typeof authorization === 'string' ? /^Bearer (\S+)$/.exec(authorization) : null;
  if (!m?.[1]) return 'no bearer token';
  const token = m[1];
  if (!token.startsWith('k8s-aws-v1.')) return 'the token does not start with k8s-aws-v1.';
  const b64 = token.slice('k8s-aws-v1.'.length);
  if (!/^[A-Za-z0-9_-]+$/.test(b64)) return 'the token is not base64url without padding';
  let url: URL;
  try {
    url = new URL(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch {
    return 'the token does not hold a URL';
  }
  if (url.protocol !== 'https:' || !/^sts(\.[a-z]{2}(-gov)?-[a-z]+-\d)?\.amazonaws\.com(\.cn)?$/.test(url.hostname) || url.port) return `the token's URL is not an STS endpoint (${url.host})`;
  if (url.pathname !== '/') return "the token's URL path is not /";
  const q = new Map<string, string>();
  for (const [k, v] of url.searchParams) {
    const key = k.toLowerCase();
    if (!ALLOWED_PARAMS.has(key)) return `the token's URL has the parameter ${k}, which is not allowed`;
    if (q.has(key)) return `the token's URL has ${k} twice`;
    q.set(key, v);
  }
  if (q.get('action') !== 'GetCallerIdentity') return 'the token is not for GetCallerIdentity';
  if (q.get('version') !== '2011-06-15') return 'the token is not for STS API version 2011-06-15';
  if (q.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') return 'the token is not signed with AWS4-HMAC-SHA256';
  const date = q.get('x-amz-date') ?? '';
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!d) return 'the token has no X-Amz-Date';
  const signedAt = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(d[4]), Number(d[5]), Number(d[6]));
  const cred = /^[A-Z0-9]{16,128}\/(\d{8})\/([a-z0-9-]+)\/sts\/aws4_request$/.exec(q.get('x-amz-credential') ?? '');
  if (!cred || cred[1] !== date.slice(0, 8)) return 'the token has no valid X-Amz-Credential scope';
  const expires = Number(q.get('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > 900) return 'the token has no X-Amz-Expires of 1-900 seconds';
  const signed = (q.get('x-amz-signedheaders') ?? '').split(';');
  if (!signed.includes('host') || !signed.includes('x-k8s-aws-id')) return 'x-k8s-aws-id is not among the signed headers';
  if (!/^[0-9a-f]{64}$/.test(q.get('x-amz-signature') ?? '')) return 'the token has no SigV4 signature';
  const secret = check?.secretOf?.(q.get('x-amz-credential')?.split('/')[0] ?? '');
  if (check && secret !== undefined) {
    // SigV4 ("Create a signed request"): STS recomputes the signature over the same canonical request, the
    // x-k8s-aws-id header carrying the cluster name the API server passes on. Other signed headers are unknown here.
    if (q.get('x-amz-signedheaders') !== 'host;x-k8s-aws-id') return 'the token signs headers other than host and x-k8s-aws-id';
    const expected = new URL(
      presignUrl({
        host: url.hostname,
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { 'x-k8s-aws-id': check.clusterName },
        region: cred[2] ?? '',
        service: 'sts',
        credentials: { accessKeyId: q.get('x-amz-credential')?.split('/')[0] ?? '', secretAccessKey: secret, ...(q.has('x-amz-security-token') ? { sessionToken: q.get('x-amz-security-token') ?? '' } : {}) },
        date: new Date(signedAt),
        expiresSeconds: expires,
      }),
    ).searchParams.get('X-Amz-Signature');
    if (expected !== q.get('x-amz-signature')) return `the token's signature does not match (a token for another cluster than ${check.clusterName}, or other credentials)`;
  }
  if (signedAt > now) return 'the token is dated in the future';
  if (now - signedAt > TOKEN_LIFETIME_MS) return 'the token has expired (X-Amz-Date is more than 15 minutes ago)';
  return undefined;
}

const header = (headers: Record<string, unknown> | undefined, name: string): unknown => Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];

/** An IncomingMessage-like answer: a readable stream of the JSON body with statusCode and headers. */
class SimulatedResponse extends PassThrough {
  readonly headers: Record<string, string> = { 'content-type': 'application/json' };
  constructor(
    readonly statusCode: number,
    readonly statusMessage: string,
  ) {
    super();
  }
}

/** A ClientRequest-like request: buffers the body, answers on end(). */
class SimulatedRequest extends EventEmitter {
  destroyed = false;
  private readonly chunks: Buffer[] = [];
  private ended = false;

  constructor(
    private readonly answer: (body: string) => Promise<{ status: number; body: unknown }>,
    callback?: (res: SimulatedResponse) => void,
  ) {
    super();
    if (callback) this.once('response', callback);
  }

  setTimeout(_ms: number, callback?: () => void): this {
    if (callback) this.once('timeout', callback);
    return this;
  }

  setHeader(): this {
    return this;
  }

  write(chunk: string | Buffer, encoding?: BufferEncoding | (() => void), cb?: () => void): boolean {
    if (this.ended) {
      process.nextTick(() => this.emit('error', Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' })));
      return false;
    }
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk);
    (typeof encoding === 'function' ? encoding : cb)?.();
    return true;
  }

  end(chunk?: string | Buffer | (() => void), cb?: () => void): this {
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) this.write(chunk);
    if (this.ended) return this;
    this.ended = true;
    (typeof chunk === 'function' ? chunk : cb)?.();
    this.answer(Buffer.concat(this.chunks).toString('utf8')).then(
      (r) => {
        if (this.destroyed) return;
        const res = new SimulatedResponse(r.status, STATUS_CODES[r.status] ?? '');
        this.emit('response', res);
        res.end(r.body === undefined ? '' : JSON.stringify(r.body));
      },
      (e: unknown) => {
        if (!this.destroyed) this.destroy(e instanceof Error ? e : new Error(String(e)));
      },
    );
    return this;
  }

  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    process.nextTick(() => {
      if (error) this.emit('error', error);
      this.emit('close');
    });
    return this;
  }
}

/**
 * Linux tcp(7), tcp_syn_retries (default 6): an unanswered TCP connect gives up after about 127 s with ETIMEDOUT,
 * which Node.js reports as `connect ETIMEDOUT <address>:<port>` (code ETIMEDOUT, syscall connect).
 */
const CONNECT_TIMEOUT_MS = 127_000;

/**
 * A request to an endpoint that never answers the TCP handshake. Node.js "HTTP", http.request `timeout` ("the socket
 * timeout in milliseconds. This will set the timeout before the socket is connected") and the 'timeout' event ("Emitted
 * when the underlying socket times out from inactivity. This only notifies that the socket has been idle. The request
 * must be destroyed manually"): with a timeout, 'timeout' comes first and the caller decides; without one (or if the
 * caller lets it run), the connect fails with ETIMEDOUT. Its timers are the (simulated) clock's and go on destroy().
 */
class UnreachableRequest extends EventEmitter {
  destroyed = false;
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  private ended = false;

  constructor(
    private idleMs: number | undefined,
    private readonly address: string,
    private readonly onOutcome: (error: string) => void,
    callback?: (res: SimulatedResponse) => void,
  ) {
    super();
    if (callback) this.once('response', callback);
  }

  setTimeout(ms: number, callback?: () => void): this {
    if (callback) this.once('timeout', callback);
    if (this.ended && !this.destroyed) this.timers.push(setTimeout(() => this.idle(), ms));
    else this.idleMs = ms;
    return this;
  }

  setHeader(): this {
    return this;
  }

  write(_chunk: string | Buffer, encoding?: BufferEncoding | (() => void), cb?: () => void): boolean {
    (typeof encoding === 'function' ? encoding : cb)?.();
    return true;
  }

  end(chunk?: string | Buffer | (() => void), cb?: () => void): this {
    if (this.ended) return this;
    this.ended = true;
    (typeof chunk === 'function' ? chunk : cb)?.();
    const idle = this.idleMs;
    if (idle !== undefined && idle > 0 && idle < CONNECT_TIMEOUT_MS) this.timers.push(setTimeout(() => this.idle(), idle));
    this.timers.push(
      setTimeout(() => {
        const [host = '', port = '443'] = this.address.split(':');
        this.onOutcome('ETIMEDOUT');
        this.destroy(Object.assign(new Error(`connect ETIMEDOUT ${this.address}`), { errno: -110, code: 'ETIMEDOUT', syscall: 'connect', address: host, port: Number(port) }));
      }, CONNECT_TIMEOUT_MS),
    );
    return this;
  }

  private idle(): void {
    if (this.destroyed) return;
    this.onOutcome('Timeout');
    this.emit('timeout');
  }

  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    for (const t of this.timers) clearTimeout(t);
    process.nextTick(() => {
      if (error) this.emit('error', error);
      this.emit('close');
    });
    return this;
  }
}

function targetOf(args: unknown[]): Options | undefined {
  const [a, b] = args;
  if (typeof a === 'string' || a instanceof URL) {
    const u = new URL(a);
    return { hostname: u.hostname, path: `${u.pathname}${u.search}`, ...(b && typeof b === 'object' ? (b as Options) : {}) };
  }
  return a && typeof a === 'object' ? (a as Options) : undefined;
}

/** Patches `https.request` until restore(); a second install stacks on the first. */
export function installKubernetesEndpoint(opts: EndpointOptions): { restore(): void } {
  const original = https.request;
  const patched = function (this: unknown, ...args: unknown[]) {
    const options = targetOf(args);
    const hostname = options?.hostname ?? options?.host?.replace(/:\d+$/, '') ?? '';
    const target = hostname ? opts.resolve(hostname) : undefined;
    if (!options || !target) return (original as (...a: unknown[]) => unknown).apply(https, args);
    const callback = args.find((x): x is (res: SimulatedResponse) => void => typeof x === 'function');
    const method = (options.method ?? 'GET').toUpperCase();
    const path = options.path ?? '/';
    if (target.reachable === false) {
      const at = opts.now();
      // The address the endpoint's name resolves to (knowingly simplified: one private address of the cluster's VPC).
      const digest = Buffer.from(target.clusterName).reduce((h, b) => (h * 31 + b) >>> 0, 7);
      const address = `10.${(digest >>> 16) & 255}.${(digest >>> 8) & 255}.${digest & 255}:443`;
      let recorded = false;
      return new UnreachableRequest(
        typeof options.timeout === 'number' ? options.timeout : undefined,
        address,
        (error) => {
          if (recorded) return;
          recorded = true;
          opts.onCall?.({ t: new Date(at).toISOString(), service: 'Kubernetes', operation: operationFor(method, path), input: { path, body: undefined }, error });
        },
        callback,
      );
    }
    return new SimulatedRequest(async (text) => {
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return { status: 400, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the request body is not JSON', reason: 'BadRequest', code: 400 } };
      }
      target.sync();
      const at = opts.now();
      const problem = tokenProblem(header(options.headers, 'authorization'), at, { clusterName: target.clusterName, ...(opts.secretOf ? { secretOf: opts.secretOf } : {}) });
      // Kubernetes "Authenticating": a request no authenticator accepts is 401 with a Status "Unauthorized"; an EKS token
      // of a role without an access entry is refused the same way (EKS User Guide, "Grant IAM users access to Kubernetes").
      const res =
        problem || !target.accessEntry
          ? target.api.refuse(method, path, body, 401, 'Unauthorized', 'Unauthorized')
          : await target.api.request(method, path, body, header(options.headers, 'content-type') as string | undefined);
      const failure = res.status >= 400 ? ((res.body as { reason?: unknown } | undefined)?.reason ?? `HTTP ${res.status}`) : undefined;
      opts.onCall?.({ t: new Date(at).toISOString(), service: 'Kubernetes', operation: operationFor(method, path), input: { path, body }, ...(failure !== undefined ? { error: String(failure) } : {}) });
      return res;
    }, callback);
  } as typeof https.request;
  https.request = patched;
  syncBuiltinESMExports();
  return {
    restore() {
      if (https.request === patched) {
        https.request = original;
        syncBuiltinESMExports();
      }
    },
  };
}
