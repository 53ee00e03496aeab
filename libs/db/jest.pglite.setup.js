// Runs the suites of the `db-pglite` project on the embedded database (see openSuiteDatabase).
process.env.CHAT_TEST_DATABASE = 'pglite';
