// No `preset.services`: the SMTP server of the integration test runs inside the test.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'mail',
  rootDir: __dirname,
};
