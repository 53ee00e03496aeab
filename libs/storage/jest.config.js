// No `preset.services`: the OSS test runs its own HTTP server, the disk test a temp folder.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'storage',
  rootDir: __dirname,
};
