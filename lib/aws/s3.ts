import { S3Client } from '@aws-sdk/client-s3';
import { clientOptions } from './options.js';

/** Created once per process; only the functions that read or write the run-state bucket import it. */
export const s3 = /* @__PURE__ */ new S3Client(clientOptions);
