const path = require('node:path');

const workspaceRoot = path.join(__dirname, '../..');

/**
 * The end-to-end suite again, unchanged, against the orders-service topology: the core and orders
 * units as real processes of the built server, behind the edge (`dist/apps/server/edge.js`), which
 * is where the suite sends its requests, as a client of that deployment would. Plus the tests only
 * an edge has (`*.edge-spec.ts`).
 * @type {import('jest').Config}
 */
module.exports = {
  displayName: 'server (orders-service, edge)',
  preset: '../../jest.preset.js',
  testMatch: ['**/test/**/*.e2e-spec.ts', '**/test/**/*.edge-spec.ts'],
  globalSetup: '../../libs/platform/testing/src/jest/topology.global-setup.ts',
  globalTeardown: '../../libs/platform/testing/src/jest/topology.global-teardown.ts',
  globals: {
    strataTopology: {
      main: path.join(workspaceRoot, 'dist/apps/server/main.js'),
      migrate: path.join(workspaceRoot, 'dist/apps/server/migrate.js'),
      edge: path.join(workspaceRoot, 'dist/apps/server/edge.js'),
      topologyFile: path.join(workspaceRoot, 'topologies/orders-service.json'),
      apiUnit: 'edge',
    },
  },
  testTimeout: 60_000,
};
