// No `preset.services`: the standalone server needs nothing outside its process, and its
// tests start it with every connection key unset.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'standalone',
  rootDir: __dirname,
  testTimeout: 120000,
};
