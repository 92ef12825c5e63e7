/** @type {import('jest').Config} */
module.exports = {
  displayName: 'customers-business',
  preset: '../../../jest.preset.js',
};
