/** @type {import('jest').Config} */
module.exports = {
  displayName: 'generators',
  preset: '../../jest.preset.js',
  // Templates are copies of a module's files, not tests of this project.
  testPathIgnorePatterns: ['/files/', '/e2e/'],
};
