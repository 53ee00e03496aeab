// Shared Jest settings: every project's jest.config.js spreads this.
const path = require('node:path');

const root = __dirname;

const base = {
  testEnvironment: 'node',
  // ali-oss ships .ts beside its .js: js must come first or Jest loads the sources.
  moduleFileExtensions: ['js', 'ts', 'json'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleNameMapper: {
    // The role packages (apps/<role>, docs/development.md §1) before the libs.
    '^@chat/(api|gateway|persister|notifier|mailer)$': path.join(root, 'apps/$1/src/index.ts'),
    '^@chat/([^/]+)$': path.join(root, 'libs/$1/src/index.ts'),
    '^@chat/([^/]+)/testing$': path.join(root, 'libs/$1/src/testing/index.ts'),
  },
  testTimeout: 30000,
  reporters: ['default', path.join(root, 'libs/testing/src/jest/summary-reporter.js')],
};

/**
 * For projects whose tests talk to Postgres, Redis or Kafka: finds them (npm test passes
 * their addresses) or starts what is missing, once per Jest run, and stops it after.
 */
const services = {
  globalSetup: path.join(root, 'libs/testing/src/jest/global-setup.ts'),
  globalTeardown: path.join(root, 'libs/testing/src/jest/global-teardown.ts'),
};

/**
 * For projects whose tests open the embedded PGlite: its CommonJS build loads parts of itself
 * with `import()`, which Jest's module sandbox refuses; compiling it like our sources turns
 * those into `require`.
 */
const pglite = {
  transform: {
    ...base.transform,
    '/node_modules/@electric-sql/.+\\.c?js$': [
      '@swc/jest',
      { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@electric-sql/)'],
  setupFiles: [path.join(root, 'libs/db/jest.pglite.setup.js')],
};

// Not enumerable, so `...preset` copies only Jest options.
module.exports = Object.defineProperties(
  { ...base },
  { services: { value: services }, pglite: { value: pglite } },
);
