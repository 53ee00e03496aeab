const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  ...preset.services,
  displayName: 'gateway',
  rootDir: __dirname,
};
