/** @type {import('jest').Config} */
module.exports = {
  displayName: 'platform-health',
  preset: '../../../jest.preset.js',
};
