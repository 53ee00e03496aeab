const preset = require('../../jest.preset.js');

const { reporters, testTimeout, ...project } = preset;

/**
 * PGlite's CommonJS build loads parts of itself with `import()`, which Jest's module
 * sandbox refuses; compiling it like our sources turns those into `require`.
 */
const pglite = {
  transform: {
    ...project.transform,
    '/node_modules/@electric-sql/.+\\.c?js$': [
      '@swc/jest',
      { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@electric-sql/)'],
};

/**
 * Two projects: every suite on PostgreSQL, and the suites that open their database with
 * `openSuiteDatabase` once more on the embedded PGlite (the same cases on both databases).
 */
module.exports = {
  reporters,
  testTimeout,
  projects: [
    { ...project, ...pglite, ...preset.services, displayName: 'db', rootDir: __dirname },
    {
      ...project,
      displayName: 'db-pglite',
      rootDir: __dirname,
      ...pglite,
      testMatch: ['<rootDir>/src/db.int.spec.ts', '<rootDir>/src/repositories/*.int.spec.ts'],
      setupFiles: ['<rootDir>/jest.pglite.setup.js'],
    },
  ],
};
