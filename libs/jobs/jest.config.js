const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  ...preset.services,
  displayName: 'jobs',
  rootDir: __dirname,
};
