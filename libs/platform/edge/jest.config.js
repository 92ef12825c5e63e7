/** @type {import('jest').Config} */
module.exports = {
  displayName: 'platform-edge',
  preset: '../../../jest.preset.js',
};
