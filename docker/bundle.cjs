// Bundles each app's entry point into one CommonJS file under dist/ for the production
// image (docker/Dockerfile, stage `build`). Workspace libs (@chat/*) are compiled in through
// the tsconfig paths; every npm package stays external and is loaded from node_modules, so
// the runtime stage needs only `npm ci --omit=dev`. esbuild is the transform tsx applies in
// development and tests, so the bundle runs the code the test suites run.
//
// Usage: node docker/bundle.cjs [outdir]   (default: dist)
const path = require('node:path');
const { builtinModules } = require('node:module');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const outdir = path.resolve(root, process.argv[2] ?? 'dist');

/** Output name → entry point. The Dockerfile's targets run `node dist/<name>.js`. */
const ENTRIES = {
  api: 'apps/api/src/main.ts',
  gateway: 'apps/gateway/src/main.ts',
  persister: 'apps/persister/src/main.ts',
  notifier: 'apps/notifier/src/main.ts',
  mailer: 'apps/mailer/src/main.ts',
  migrate: 'libs/db/src/cli/migrate.ts',
  'config-check': 'libs/config/src/cli/check.ts',
  // The gateway image's build runs it: fails unless uWebSockets.js loads its native addon.
  'uws-check': 'apps/gateway/src/sockets/uws-check.ts',
};

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

async function main() {
  const pkg = require(path.join(root, 'package.json'));
  const production = new Set(Object.keys(pkg.dependencies ?? {}));
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES).map(([name, file]) => [name, path.join(root, file)]),
    ),
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // npm packages are required at run time; @chat/* resolve through tsconfig paths first.
    packages: 'external',
    tsconfig: path.join(root, 'tsconfig.base.json'),
    // Class names survive bundling (errors and logs print them).
    keepNames: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });

  // A package the apps load but `npm ci --omit=dev` would not install fails here, at build
  // time, instead of at start-up in the container.
  const missing = new Map();
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    for (const imp of output.imports) {
      if (!imp.external || builtins.has(imp.path)) continue;
      const name = packageOf(imp.path);
      if (!production.has(name)) missing.set(name, file);
    }
  }
  if (missing.size > 0) {
    const lines = [...missing].map(([name, file]) => `  ${name} (required by ${file})`);
    throw new Error(
      `bundle: packages loaded at run time but not in "dependencies":\n${lines.join('\n')}`,
    );
  }
  process.stdout.write(
    `bundle: ${Object.keys(ENTRIES).join(', ')} → ${path.relative(root, outdir) || '.'}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
