import 'reflect-metadata';
import { describeFailure } from '@strata/platform/config';
import { launchTopology } from '@strata/platform/runtime/launch';
import { join } from 'node:path';
import { application } from './application';

/**
 * `npm run start:split [-- <topology name or file>]` (or, once built, `node dist/apps/server/launch.js
 * [topology]`): every unit of a topology, `split` unless named, as its own process on this machine,
 * and the edge when several units serve the API.
 */
const args = process.argv.slice(2);
if (args.length > 1 || args[0]?.startsWith('-')) {
  console.error(
    `launch.js takes one topology, a shipped name or a file (got ${args.join(' ')}). ` +
      'Usage: npm run start:split [-- topology], or node dist/apps/server/launch.js [topology] once built; split unless named',
  );
  process.exit(1);
}

launchTopology(application, args[0] ?? 'split', { unit: join(__dirname, 'main.js'), edge: join(__dirname, 'edge.js') }).catch(
  (error: unknown) => {
    console.error(describeFailure(error));
    process.exit(1);
  },
);
