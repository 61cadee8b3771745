import { SNSClient } from '@aws-sdk/client-sns';
import { clientOptions } from './options.js';

/** Created once per process (warm invocations reuse it); one module per service so each bundle holds only the SDK clients its function uses. */
export const sns = /* @__PURE__ */ new SNSClient(clientOptions);
