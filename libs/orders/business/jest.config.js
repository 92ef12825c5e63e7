/** @type {import('jest').Config} */
module.exports = {
  displayName: 'orders-business',
  preset: '../../../jest.preset.js',
};
