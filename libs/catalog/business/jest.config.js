/** @type {import('jest').Config} */
module.exports = {
  displayName: 'catalog-business',
  preset: '../../../jest.preset.js',
};
