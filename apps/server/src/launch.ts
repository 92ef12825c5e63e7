import 'reflect-metadata';
import { ConfigurationError, redactCredentials } from '@strata/platform/config';
import { TopologyError } from '@strata/platform/runtime';
import { launchTopology } from '@strata/platform/runtime/launch';
import { join } from 'node:path';
import { application } from './application';

/**
 * `npm run start:split` (or `node dist/apps/server/launch.js <topology name or file>`): every unit
 * of a topology as its own process on this machine, and the edge when several units serve the API.
 */
const args = process.argv.slice(2);
if (args.length > 1 || args[0]?.startsWith('-')) {
  // `npm run start:split -- orders-service` would otherwise run split and say nothing of the rest.
  console.error(
    `launch.js takes one topology, a shipped name or a file (got ${args.join(' ')}). ` +
      'Usage: node dist/apps/server/launch.js [topology], after npm run build; npm run start:split runs split',
  );
  process.exit(1);
}

launchTopology(application, args[0] ?? 'split', { unit: join(__dirname, 'main.js'), edge: join(__dirname, 'edge.js') }).catch(
  (error: unknown) => {
    console.error(
      redactCredentials(
        error instanceof ConfigurationError || error instanceof TopologyError ? error.message : String((error as Error)?.stack ?? error),
      ),
    );
    process.exit(1);
  },
);
