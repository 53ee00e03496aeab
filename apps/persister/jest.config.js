const path = require('node:path');
const preset = require('../../jest.preset.js');

const { reporters, testTimeout, ...project } = preset;

/**
 * PGlite's CommonJS build loads parts of itself with `import()`, which Jest's module
 * sandbox refuses; compiling it like our sources turns those into `require` (as in libs/db).
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
 * Two projects: every suite on the real services, and the edge-against-database suite once
 * more on the embedded PGlite, the database of `npm start` (its acks wait for PGlite).
 */
module.exports = {
  reporters,
  testTimeout,
  projects: [
    { ...project, ...preset.services, displayName: 'persister', rootDir: __dirname },
    {
      ...project,
      ...pglite,
      displayName: 'persister-pglite',
      rootDir: __dirname,
      testMatch: ['<rootDir>/src/edge-storable.int.spec.ts'],
      setupFiles: [path.join(__dirname, '../../libs/db/jest.pglite.setup.js')],
    },
  ],
};
