import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { clientOptions } from './options.js';

/** Created once per process (warm invocations reuse it); one module per service so each bundle holds only the SDK clients its function uses. */
export const serviceQuotas = /* @__PURE__ */ new ServiceQuotasClient(clientOptions);
