import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import type { ServiceName, SimulatedAccount } from './account.js';
import type { Fault } from './fleet.js';
import { SimulatedServiceError } from './context.js';
import { installKubernetesEndpoint } from './kubernetes/endpoint.js';

export interface CallRecord {
  t: string;
  service: string;
  operation: string;
  input: unknown;
  error?: string;
  /** A lost answer: the call took effect although the caller saw an error. */
  tookEffect?: boolean;
}

export interface InstallOptions {
  onCall?: (rec: CallRecord) => void;
  random?: () => number;
  /**
   * Access keys the simulated STS knows. A Kubernetes bearer token signed with one has its SigV4 signature checked
   * (so a token minted for another cluster is refused); tokens of other keys are checked for shape only.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string }[];
}

/** Each service's own throttling error: Retry matchers and SDK retry strategies key on these names. */
// Error names from each service's API Reference, "Common Errors": EC2 RequestLimitExceeded (EC2 API Reference, "Error
// codes"), Auto Scaling Throttling, SSM ThrottlingException, Image Builder TooManyRequestsException (429), SNS Throttled,
// Step Functions ThrottlingException, EKS ThrottlingException (Amazon EKS API Reference, "Common Errors", 400). The rates and windows are the scenario's, not AWS's (AWS documents none).
const THROTTLE: Record<ServiceName, [string, number]> = {
  EC2: ['RequestLimitExceeded', 400],
  AutoScaling: ['Throttling', 400],
  SSM: ['ThrottlingException', 400],
  Imagebuilder: ['TooManyRequestsException', 429],
  SNS: ['Throttled', 429],
  SFN: ['ThrottlingException', 400],
  EKS: ['ThrottlingException', 400],
  // IAM API Reference, "Common Errors": Throttling, 400.
  IAM: ['Throttling', 400],
  // Amazon S3 API Reference, "Error responses": SlowDown, 503 ("Reduce your request rate").
  S3: ['SlowDown', 503],
  // Service Quotas API Reference, "Common Errors" / GetServiceQuota Errors: TooManyRequestsException, 400.
  ServiceQuotas: ['TooManyRequestsException', 400],
};

/** Command classes are named `<Operation>Command`; `send` receives the command instance. */
export function operationOf(command: unknown): string {
  const name = (command as { constructor?: { name?: string } })?.constructor?.name ?? '';
  return name.endsWith('Command') ? name.slice(0, -'Command'.length) : name;
}

/**
 * A lost answer as the SDK's Node handler reports it: the request reached AWS and took
 * effect, the socket was reset before the response came back ("socket hang up",
 * code ECONNRESET). The SDK classifies it as a transient error
 * (@smithy/service-error-classification NODEJS_TIMEOUT_ERROR_CODES); whoever called
 * cannot tell whether the call went through.
 */
export class LostResponseError extends Error {
  readonly code = 'ECONNRESET';
  readonly $metadata = { attempts: 1, totalRetryDelay: 0 };
  constructor(service: string, operation: string) {
    super(`socket hang up (${service}.${operation}: the request was sent, its response was lost)`);
    this.name = 'Error';
  }
}

type Throttle = Extract<Fault, { kind: 'throttle' }>;
type Lost = Extract<Fault, { kind: 'lostResponse' }>;

const names = (service: string, operation: string, list: readonly string[]) => list.includes(operation) || list.includes(`${service}.${operation}`);

/** Throttling as it happens in AWS: per service, per operation, in a window of simulated time. */
function throttles(f: Throttle, service: ServiceName, operation: string, minute: number): boolean {
  if (f.services && !f.services.includes(service)) return false;
  if (f.operations && !names(service, operation, f.operations)) return false;
  const from = f.fromMinute ?? 0;
  return minute >= from && (f.forMinutes === undefined || minute < from + f.forMinutes);
}

export function installSimulation(account: SimulatedAccount, opts: InstallOptions = {}): { restore(): void } {
  const random = opts.random ?? account.random;
  const startedAt = Date.now();
  const throttleFaults = account.faults.flatMap((f) => (f.kind === 'throttle' ? [f] : []));
  const lost = account.faults.flatMap((f) => (f.kind === 'lostResponse' ? [{ fault: f, seen: 0, lost: 0 }] : []));
  const losesAnswer = (service: ServiceName, operation: string): boolean => {
    const l = lost.find((x: { fault: Lost; seen: number; lost: number }) => x.lost < x.fault.times && names(service, operation, [x.fault.operation]));
    if (!l) return false;
    if (l.seen++ < l.fault.skip) return false;
    l.lost++;
    return true;
  };
  const clients: [ServiceName, Parameters<typeof mockClient>[0]][] = [
    ['EC2', EC2Client],
    ['AutoScaling', AutoScalingClient],
    ['Imagebuilder', ImagebuilderClient],
    ['SSM', SSMClient],
    ['SNS', SNSClient],
    ['SFN', SFNClient],
    ['EKS', EKSClient],
    ['IAM', IAMClient],
    ['S3', S3Client],
    ['ServiceQuotas', ServiceQuotasClient],
  ];
  const mocks = clients.map(([service, Client]) => {
    const mock = mockClient(Client);
    mock.send.callsFake(async (command: { input?: unknown }) => {
      // sinon keeps every call's arguments and result (a promise of the answer) on the stub; nothing here reads them, and a
      // 5,000-group rehearsal's 80,000 answers held until the end cost more in garbage collection than the calls themselves.
      // Cleared once sinon has finished recording this call (a microtask runs after the stub returns).
      queueMicrotask(() => mock.send.resetHistory());
      const operation = operationOf(command);
      const input = (command?.input ?? {}) as Record<string, unknown>;
      const t = new Date(Date.now()).toISOString();
      try {
        const minute = (Date.now() - startedAt) / 60_000;
        for (const f of throttleFaults) {
          if (throttles(f, service, operation, minute) && random() < f.rate) {
            const [name, status] = THROTTLE[service];
            throw new SimulatedServiceError(name, 'Rate exceeded', status);
          }
        }
        // A lost answer takes effect first, then fails the caller (see LostResponseError): the stricter reading of a network
        // error, since the caller cannot tell whether AWS acted.
        const out = await account.call(service, operation, structuredClone(input));
        if (losesAnswer(service, operation)) throw new LostResponseError(service, operation);
        opts.onCall?.({ t, service, operation, input });
        return { $metadata: { httpStatusCode: 200, requestId: 'simulated', attempts: 1, totalRetryDelay: 0 }, ...out };
      } catch (e) {
        const err = e as Error & { code?: string };
        opts.onCall?.({ t, service, operation, input, error: err.name === 'Error' && err.code ? err.code : err.name, ...(err instanceof LostResponseError ? { tookEffect: true } : {}) });
        throw e;
      }
    });
    return mock;
  });
  // The clusters' Kubernetes APIs: node:https requests for their endpoints reach the simulated API servers.
  const endpoint = installKubernetesEndpoint({
    resolve: (hostname) => {
      const rec = account.eks.forHost(hostname);
      if (!rec) return undefined;
      return {
        clusterName: rec.spec.name,
        // EKS User Guide, "Grant IAM users access to Kubernetes with EKS access entries": access entries need authentication
        // mode API or API_AND_CONFIG_MAP; under CONFIG_MAP the stack's entry maps nothing (401).
        accessEntry: rec.spec.accessEntry && rec.spec.authenticationMode !== 'CONFIG_MAP',
        reachable: rec.spec.apiReachable,
        api: rec.api,
        sync: () => account.eks.sync(rec),
      };
    },
    now: () => Date.now(),
    ...(opts.onCall ? { onCall: opts.onCall } : {}),
    ...(opts.credentials ? { secretOf: (id: string) => opts.credentials?.find((c) => c.accessKeyId === id)?.secretAccessKey } : {}),
  });
  return {
    restore() {
      endpoint.restore();
      for (const m of mocks) m.restore();
    },
  };
}
