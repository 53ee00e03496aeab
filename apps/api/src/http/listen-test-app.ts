import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenService } from '@chat/auth';
import type { Logger } from '@chat/logger';
import { createHttpApp } from './app';
import { buildAsyncApi } from './asyncapi';
import { buildOpenApi } from './openapi';
import type { AnyRoute } from './route';

export interface TestHttpApp {
  /** `http://127.0.0.1:<port>` */
  base: string;
  close(): Promise<void>;
}

/**
 * For the http layer's own specs: `createHttpApp` with the given routes on a loopback port,
 * every caller allowed (no rate limits, token epochs 0), a fixed signing key.
 */
export async function listenTestApp(
  routes: AnyRoute[],
  opts: { log: Logger; requestTimeoutMs: number },
): Promise<TestHttpApp> {
  const app = createHttpApp({
    routes,
    tokens: new TokenService({
      key: 'http-test-key-0123456789-abcdefghijklm',
      userTokenTtlMs: 60_000,
      accountTokenTtlMs: 60_000,
      headerName: 'Authorization',
      scheme: 'bearer',
    }),
    callers: {
      user: async (id) => ({ epoch: 0, owner: id }),
      account: async () => ({ epoch: 0, owner: 1 }),
    },
    ipLimit: async () => true,
    routeLimits: { email: async () => true, upload: async () => true },
    requestTimeoutMs: opts.requestTimeoutMs,
    openapi: buildOpenApi(routes, { title: 't', version: '1' }),
    asyncapi: buildAsyncApi({ title: 't', version: '1' }),
    log: opts.log,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
