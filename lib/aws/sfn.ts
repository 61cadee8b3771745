import { SFNClient } from '@aws-sdk/client-sfn';
import { clientOptions } from './options.js';

/** Created once per process (warm invocations reuse it); one module per service so each bundle holds only the SDK clients its function uses. */
export const sfn = /* @__PURE__ */ new SFNClient(clientOptions);
