/** @type {import('jest').Config} */
module.exports = {
  displayName: 'server',
  preset: '../../jest.preset.js',
  globalSetup: '../../libs/platform/testing/src/jest/redis.global-setup.ts',
  globalTeardown: '../../libs/platform/testing/src/jest/postgres.global-teardown.ts',
  testTimeout: 30_000,
};
