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
launchTopology(application, process.argv[2] ?? 'split', { unit: join(__dirname, 'main.js'), edge: join(__dirname, 'edge.js') }).catch(
  (error: unknown) => {
    console.error(redactCredentials(error instanceof ConfigurationError || error instanceof TopologyError ? error.message : String((error as Error)?.stack ?? error)));
    process.exit(1);
  },
);
