const preset = require('../../jest.preset.js');

const { reporters, testTimeout, ...project } = preset;

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
      ...preset.pglite,
      displayName: 'persister-pglite',
      rootDir: __dirname,
      testMatch: ['<rootDir>/src/edge-storable.int.spec.ts'],
    },
  ],
};
