/** @type {import('jest').Config} */
module.exports = {
  displayName: 'platform-transport',
  preset: '../../../jest.preset.js',
};
