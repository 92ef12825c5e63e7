/** @type {import('jest').Config} */
module.exports = {
  displayName: 'platform-testing',
  preset: '../../../jest.preset.js',
  globalSetup: '../../../libs/platform/testing/src/jest/postgres.global-setup.ts',
  globalTeardown: '../../../libs/platform/testing/src/jest/postgres.global-teardown.ts',
};
