const preset = require('../../jest.preset.js');

const { reporters, testTimeout, ...project } = preset;

/**
 * Two projects: every suite on PostgreSQL, and the suites that open their database with
 * `openSuiteDatabase` once more on the embedded PGlite (the same cases on both databases).
 */
module.exports = {
  reporters,
  testTimeout,
  projects: [
    {
      ...project,
      transform: preset.pglite.transform,
      transformIgnorePatterns: preset.pglite.transformIgnorePatterns,
      ...preset.services,
      displayName: 'db',
      rootDir: __dirname,
    },
    {
      ...project,
      ...preset.pglite,
      displayName: 'db-pglite',
      rootDir: __dirname,
      testMatch: ['<rootDir>/src/db.int.spec.ts', '<rootDir>/src/repositories/*.int.spec.ts'],
    },
  ],
};
