const path = require('node:path');

const workspaceRoot = path.join(__dirname, '../..');

/**
 * The end-to-end suite again, unchanged, against the split topology: four real processes of the
 * built server (gateway, business, data, worker) on PostgreSQL and Redis, started once for all
 * files by the global setup. Plus the tests only the split topology has (`*.split-spec.ts`).
 * @type {import('jest').Config}
 */
module.exports = {
  displayName: 'server (split)',
  preset: '../../jest.preset.js',
  testMatch: ['**/test/**/*.e2e-spec.ts', '**/test/**/*.split-spec.ts'],
  globalSetup: '../../libs/platform/testing/src/jest/topology.global-setup.ts',
  globalTeardown: '../../libs/platform/testing/src/jest/topology.global-teardown.ts',
  globals: {
    strataTopology: {
      main: path.join(workspaceRoot, 'dist/apps/server/main.js'),
      migrate: path.join(workspaceRoot, 'dist/apps/server/migrate.js'),
      topologyFile: path.join(workspaceRoot, 'topologies/split.json'),
      apiUnit: 'gateway',
    },
  },
  testTimeout: 60_000,
};
