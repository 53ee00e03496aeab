import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildPackage, REPO_ROOT, type PackageResult } from './build';

const run = promisify(execFile);

/**
 * The published form of the SDK: built into a folder outside the repository, as
 * node_modules/@chat/client of a consumer that has none of the monorepo's path aliases.
 */
describe('the SDK package (libs/client/dist)', () => {
  let consumer: string;
  let result: PackageResult;

  beforeAll(async () => {
    consumer = await mkdtemp(path.join(os.tmpdir(), 'sdk-consumer-'));
    result = await buildPackage(path.join(consumer, 'node_modules/@chat/client'));
  }, 60_000);

  afterAll(async () => {
    await rm(consumer, { recursive: true, force: true });
  });

  it('bundles the SDK alone: no Node built-in, no @chat/protocol, nothing external', () => {
    expect(result.externalImports).toEqual([]);
    expect(result.inputs.length).toBeGreaterThan(5);
    for (const input of result.inputs) expect(input).toMatch(/^libs\/client\/src\/[a-z-]+\.ts$/);
    expect(result.inputs.some((i) => i.startsWith('node:'))).toBe(false);
    // Small enough for a browser: well under 20 KiB minified and gzipped.
    expect(result.minifiedGzipBytes).toBeLessThan(20 * 1024);
  });

  it('imports in plain Node ESM and works there', async () => {
    await writeFile(
      path.join(consumer, 'consumer.mjs'),
      `
import { ChatApi, ChatClient, ChatError, ChatSocket, ROUTES, routeList } from '@chat/client';
const seen = [];
const api = new ChatApi({
  baseUrl: 'http://chat.test',
  fetch: async (url, init) => {
    seen.push(init.method + ' ' + url);
    return new Response(JSON.stringify({ status_code: 0, status_msg: 'ok', data: { exist: true } }));
  },
});
const reply = await api.email.exists({ email: 'a@b.c' });
console.log(JSON.stringify({
  reply,
  seen,
  routes: routeList().length,
  kinds: [typeof ChatClient, typeof ChatSocket, typeof ChatError, typeof ROUTES.msg.sync],
}));
`,
    );
    const { stdout } = await run(process.execPath, ['consumer.mjs'], {
      cwd: consumer,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(JSON.parse(stdout)).toEqual({
      reply: { exist: true },
      seen: ['GET http://chat.test/api/email/exist?email=a%40b.c'],
      routes: 73,
      kinds: ['function', 'function', 'function', 'object'],
    });
  }, 30_000);

  it('has declarations that type a consumer’s calls (zod as the only types peer)', async () => {
    await mkdir(path.join(consumer, 'node_modules'), { recursive: true });
    await symlink(
      path.join(REPO_ROOT, 'node_modules/zod'),
      path.join(consumer, 'node_modules/zod'),
      'dir',
    );
    await writeFile(
      path.join(consumer, 'consumer.ts'),
      `
import { ChatApi, ChatClient, type PushEvents } from '@chat/client';
export async function use(api: ChatApi, client: ChatClient): Promise<number> {
  const login = await api.user.login({ email: 'a@b.c', password: 'secret-1' });
  const token: string = login.user_token.token;
  const synced = await api.msg.sync(token, { relations: [{ relation_id: 1, after_seq: 0 }] });
  client.on('read_msg', (data: PushEvents['read_msg']) => data.last_read_msg_id.toFixed());
  // @ts-expect-error a field the route does not take
  await api.user.login({ email: 'a@b.c', pass: 'x' });
  // @ts-expect-error seq is a number
  const seq: string = synced.list[0].messages[0].seq;
  void seq;
  return synced.list[0].last_seq;
}
`,
    );
    await writeFile(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'bundler',
          lib: ['ES2023', 'DOM'],
          types: [],
          skipLibCheck: true,
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const outcome = await run(process.execPath, [tsc, '-p', consumer], { cwd: consumer }).then(
      () => 'ok',
      (err: { stdout: string }) => err.stdout,
    );
    expect(outcome).toBe('ok');
  }, 60_000);
});
