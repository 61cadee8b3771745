import { ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { clientOptions } from './options.js';

/** Created once per process (warm invocations reuse it); one module per service so each bundle holds only the SDK clients its function uses. */
export const imageBuilder = /* @__PURE__ */ new ImagebuilderClient(clientOptions);
