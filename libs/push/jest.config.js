// No `preset.services`: the fake providers of the tests run inside the tests.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'push',
  rootDir: __dirname,
};
