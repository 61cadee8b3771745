import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { ServiceName, SimulatedAccount } from './account.js';
import { SimulatedServiceError } from './context.js';

export interface CallRecord {
  t: string;
  service: string;
  operation: string;
  input: unknown;
  error?: string;
}

export interface InstallOptions {
  onCall?: (rec: CallRecord) => void;
  random?: () => number;
}

/** Each service's own throttling error: Retry matchers and SDK retry strategies key on these names. */
const THROTTLE: Record<ServiceName, [string, number]> = {
  EC2: ['RequestLimitExceeded', 400],
  AutoScaling: ['Throttling', 400],
  SSM: ['ThrottlingException', 400],
  Imagebuilder: ['TooManyRequestsException', 429],
  SNS: ['Throttled', 429],
  SFN: ['ThrottlingException', 400],
};

/** Command classes are named `<Operation>Command`; `send` receives the command instance. */
export function operationOf(command: unknown): string {
  const name = (command as { constructor?: { name?: string } })?.constructor?.name ?? '';
  return name.endsWith('Command') ? name.slice(0, -'Command'.length) : name;
}

export function installSimulation(account: SimulatedAccount, opts: InstallOptions = {}): { restore(): void } {
  const random = opts.random ?? account.random;
  const throttles = account.faults.flatMap((f) => (f.kind === 'throttle' ? [f] : []));
  const clients: [ServiceName, Parameters<typeof mockClient>[0]][] = [
    ['EC2', EC2Client],
    ['AutoScaling', AutoScalingClient],
    ['Imagebuilder', ImagebuilderClient],
    ['SSM', SSMClient],
    ['SNS', SNSClient],
    ['SFN', SFNClient],
  ];
  const mocks = clients.map(([service, Client]) => {
    const mock = mockClient(Client);
    mock.send.callsFake(async (command: { input?: unknown }) => {
      const operation = operationOf(command);
      const input = (command?.input ?? {}) as Record<string, unknown>;
      const t = new Date(Date.now()).toISOString();
      try {
        for (const f of throttles) {
          const applies = !f.operations || f.operations.includes(operation) || f.operations.includes(`${service}.${operation}`);
          if (applies && random() < f.rate) {
            const [name, status] = THROTTLE[service];
            throw new SimulatedServiceError(name, 'Rate exceeded', status);
          }
        }
        const out = await account.call(service, operation, structuredClone(input));
        opts.onCall?.({ t, service, operation, input });
        return { $metadata: { httpStatusCode: 200, requestId: 'simulated', attempts: 1, totalRetryDelay: 0 }, ...out };
      } catch (e) {
        opts.onCall?.({ t, service, operation, input, error: (e as Error).name });
        throw e;
      }
    });
    return mock;
  });
  return {
    restore() {
      for (const m of mocks) m.restore();
    },
  };
}
