const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  ...preset.services,
  displayName: 'loadgen',
  rootDir: __dirname,
  // The integration suite starts the distributed apps as processes: one suite at a time.
  maxWorkers: 1,
};
