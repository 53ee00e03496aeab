module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'client',
  rootDir: __dirname,
  // The built package (`nx run client:package`) has a package.json of the same name.
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};
