import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { clientOptions } from './options.js';

/** Created once per process (warm invocations reuse it); one module per service so each bundle holds only the SDK clients its function uses. */
export const autoScaling = /* @__PURE__ */ new AutoScalingClient(clientOptions);
