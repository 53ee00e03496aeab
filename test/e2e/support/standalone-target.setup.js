// Runs the suites of the `e2e-standalone` Jest project against the standalone server.
process.env.E2E_TARGET = 'standalone';
