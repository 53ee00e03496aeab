const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  // The probes' integration tests ask a real Kafka and Redis.
  ...preset.services,
  displayName: 'runtime',
  rootDir: __dirname,
};
