// The app's unit tests (src/, pure state logic) and the browser suite (docs/web.md): a real standalone server on a temp data folder and the
// built app driven in Debian's Chromium through playwright-core. `nx run web:test` builds the
// app first (its `bundle` target).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'web',
  rootDir: __dirname,
  testMatch: ['<rootDir>/browser/**/*.browser.spec.ts', '<rootDir>/src/**/*.spec.ts'],
  testTimeout: 120000,
  maxWorkers: 1,
};
