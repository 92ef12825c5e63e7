/** @type {import('jest').Config} */
module.exports = {
  displayName: 'platform-runtime',
  preset: '../../../jest.preset.js',
};
