const preset = require('../jest.preset.js');

const { reporters, ...project } = preset;
// Set once below for both projects: 60 s, suites start processes.
delete project.testTimeout;

/**
 * Two projects over the same end-to-end suites (docs/development.md §7): every suite against the
 * distributed apps, then the e2e/ suites once more against one standalone server
 * (`E2E_TARGET=standalone`, see e2e/support/target.ts). The fault, ops and deploy suites
 * are about the distributed topology and run against it alone; the fuzz suite starts both
 * modes itself, so it too runs in the first project only.
 */
module.exports = {
  reporters,
  testTimeout: 60000,
  // Each suite starts real app processes; on two cores they run one suite at a time.
  maxWorkers: 1,
  // One worker means the suites run in Jest's own process: a suite that fails part-way can
  // leave a client or timer open, and Jest would then wait for it forever after the run.
  forceExit: true,
  projects: [
    { ...project, ...preset.services, displayName: 'e2e', rootDir: __dirname },
    {
      ...project,
      displayName: 'e2e-standalone',
      rootDir: __dirname,
      testMatch: ['<rootDir>/e2e/**/*.e2e.spec.ts'],
      setupFiles: ['<rootDir>/e2e/support/standalone-target.setup.js'],
    },
  ],
};
