const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  ...preset.services,
  displayName: 'testing',
  rootDir: __dirname,
};
