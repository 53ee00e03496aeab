const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  ...preset.services,
  displayName: 'bus',
  rootDir: __dirname,
};
