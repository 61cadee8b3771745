import { SSMClient } from '@aws-sdk/client-ssm';
import { clientOptions } from './options.js';

/** Created once per process (warm invocations reuse it); one module per service so each bundle holds only the SDK clients its function uses. */
export const ssm = /* @__PURE__ */ new SSMClient(clientOptions);
