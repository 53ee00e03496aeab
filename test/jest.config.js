const preset = require('../jest.preset.js');

module.exports = {
  ...preset,
  ...preset.services,
  displayName: 'e2e',
  rootDir: __dirname,
  // Each suite starts real app processes; on two cores they run one suite at a time.
  maxWorkers: 1,
  testTimeout: 60000,
};
