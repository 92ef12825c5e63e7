/**
 * The generators end to end, on a copy of the workspace (`e2e/`): slow, so a target of its own.
 * @type {import('jest').Config}
 */
module.exports = {
  displayName: 'generators (e2e)',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/e2e/**/*.e2e-spec.ts'],
  testTimeout: 5 * 60_000,
};
