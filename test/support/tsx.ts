import { resolve } from 'node:path';

/**
 * The project's own tsx binary, as `npm start` and the other scripts run it. Spawned directly rather than through
 * `npx tsx`: npx adds a second Node process that resolves the package (about a second per spawn on 2 cores),
 * and what the tests check is the script's process, its output and its exit code.
 */
export const TSX = resolve(import.meta.dirname, '../../node_modules/.bin/tsx');
