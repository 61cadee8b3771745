import { EC2Client } from '@aws-sdk/client-ec2';
import { clientOptions } from './options.js';

/** Created once per process (warm invocations reuse it); one module per service so each bundle holds only the SDK clients its function uses. */
export const ec2 = /* @__PURE__ */ new EC2Client(clientOptions);
