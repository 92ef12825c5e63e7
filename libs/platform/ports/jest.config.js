/** @type {import('jest').Config} */
module.exports = {
  displayName: 'platform-ports',
  preset: '../../../jest.preset.js',
};
