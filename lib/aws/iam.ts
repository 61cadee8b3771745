import { IAMClient } from '@aws-sdk/client-iam';
import { clientOptions } from './options.js';

/** Created once per process; IAM is global (the SDK resolves its endpoint from any region). */
export const iam = /* @__PURE__ */ new IAMClient(clientOptions);
