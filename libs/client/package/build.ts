import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import ts from 'typescript';

/** The repository root and the SDK's folders. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');
const CLIENT_ROOT = path.join(REPO_ROOT, 'libs/client');
const ENTRY = path.join(CLIENT_ROOT, 'src/index.ts');

export interface PackageResult {
  outDir: string;
  /** The ESM bundle's input files, relative to the repository root. */
  inputs: string[];
  /** Imports the bundle leaves to the runtime (none: it is self-contained). */
  externalImports: string[];
  bytes: number;
  minifiedBytes: number;
  minifiedGzipBytes: number;
}

/**
 * Builds the publishable SDK into `outDir` (libs/client/dist by default):
 *
 * - `index.js`: one ESM module bundled with esbuild for the browser platform, so a Node
 *   built-in (`node:*`) cannot be imported without failing the build; `@chat/protocol` is
 *   imported for types only and so is not in it;
 * - `index.d.ts` and `types/`: the declarations emitted by tsc against the DOM library (no
 *   Node types), with `@chat/protocol` rewritten to its emitted declarations alongside;
 * - `package.json`: `type: module`, `exports`, `sideEffects: false`, `files`.
 */
export async function buildPackage(
  outDir = path.join(CLIENT_ROOT, 'dist'),
): Promise<PackageResult> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const common: BuildOptions & { metafile: true } = {
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    metafile: true,
    logLevel: 'silent',
    tsconfig: path.join(REPO_ROOT, 'tsconfig.base.json'),
  };
  const bundled = await build({
    ...common,
    outfile: path.join(outDir, 'index.js'),
    sourcemap: true,
  });
  const minified = await build({
    ...common,
    write: false as const,
    minify: true,
    outfile: 'min.js',
  });
  const minifiedCode = minified.outputFiles[0].contents;

  await emitDeclarations(outDir);
  const pkg = JSON.parse(await readFile(path.join(CLIENT_ROOT, 'package.json'), 'utf8'));
  await writeFile(
    path.join(outDir, 'package.json'),
    JSON.stringify(
      {
        name: pkg.name,
        version: pkg.version,
        description: 'Typed TypeScript SDK of the chat server (REST, WebSocket, sessions)',
        type: 'module',
        sideEffects: false,
        main: './index.js',
        types: './index.d.ts',
        exports: { '.': { types: './index.d.ts', import: './index.js', default: './index.js' } },
        files: ['index.js', 'index.js.map', 'index.d.ts', 'types'],
        // Only the declarations refer to zod (the schemas' types); nothing at run time.
        peerDependencies: { zod: '^4' },
        peerDependenciesMeta: { zod: { optional: true } },
      },
      null,
      2,
    ) + '\n',
  );

  const output = Object.entries(bundled.metafile.outputs).find(([file]) =>
    file.endsWith('index.js'),
  )![1];
  return {
    outDir,
    inputs: Object.keys(bundled.metafile.inputs).map((p) =>
      path.relative(REPO_ROOT, path.resolve(process.cwd(), p)),
    ),
    externalImports: externalImports(bundled.metafile),
    bytes: output.bytes,
    minifiedBytes: minifiedCode.byteLength,
    minifiedGzipBytes: gzipSync(minifiedCode, { level: 9 }).byteLength,
  };
}

function externalImports(metafile: Metafile): string[] {
  return Object.values(metafile.inputs).flatMap((input) =>
    input.imports.filter((i) => i.external && i.path !== '<runtime>').map((i) => i.path),
  );
}

/**
 * The declarations of the SDK and of what it refers to in @chat/protocol, under `types/` with
 * their repository paths, and `index.d.ts` re-exporting the SDK's. Type errors in the SDK's own
 * files fail the build (checked without Node's types: the SDK must not need them).
 */
async function emitDeclarations(outDir: string): Promise<void> {
  const base = JSON.parse(await readFile(path.join(REPO_ROOT, 'tsconfig.base.json'), 'utf8'));
  const typesDir = path.join(outDir, 'types');
  const program = ts.createProgram([ENTRY], {
    declaration: true,
    emitDeclarationOnly: true,
    outDir: typesDir,
    rootDir: REPO_ROOT,
    baseUrl: REPO_ROOT,
    paths: base.compilerOptions.paths,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: [],
    skipLibCheck: true,
    isolatedModules: true,
  });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName.startsWith(path.join(CLIENT_ROOT, 'src')));
  const result = program.emit();
  if (diagnostics.length > 0 || result.emitSkipped) {
    throw new Error(
      'declarations: ' +
        ts.formatDiagnostics(diagnostics, {
          getCanonicalFileName: (f) => f,
          getCurrentDirectory: () => REPO_ROOT,
          getNewLine: () => '\n',
        }),
    );
  }
  // `@chat/protocol` → the emitted declarations of libs/protocol, relative to each file.
  const clientTypes = path.join(typesDir, 'libs/client/src');
  const protocolIndex = path.join(typesDir, 'libs/protocol/src/index');
  for (const file of await readdir(clientTypes)) {
    if (!file.endsWith('.d.ts')) continue;
    const full = path.join(clientTypes, file);
    const relative = path.relative(clientTypes, protocolIndex).split(path.sep).join('/');
    const text = await readFile(full, 'utf8');
    await writeFile(full, text.replaceAll(`'@chat/protocol'`, `'${relative}'`));
  }
  await writeFile(
    path.join(outDir, 'index.d.ts'),
    "export * from './types/libs/client/src/index';\n",
  );
}
