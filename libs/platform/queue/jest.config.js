/** @type {import('jest').Config} */
module.exports = {
  displayName: 'platform-queue',
  preset: '../../../jest.preset.js',
  globalSetup: '../../../libs/platform/testing/src/jest/redis.global-setup.ts',
  globalTeardown: '../../../libs/platform/testing/src/jest/postgres.global-teardown.ts',
};
