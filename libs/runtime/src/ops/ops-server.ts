import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@chat/logger';
import type { OpsEndpoints } from './ops-endpoints';

export interface OpsServer {
  /** The port listened on: the configured one, or the one picked for port 0. */
  port: number;
  /** Stops accepting and closes idle connections; safe to call twice. */
  close(): Promise<void>;
}

/**
 * A small HTTP server for apps that have no HTTP listener of their own (persister,
 * notifier, mailer): GET/HEAD `/healthz`, `/readyz`, `/metrics`, anything else 404. Logs
 * `ops server listening` with the port, which is how a caller of port 0 finds it.
 */
export async function startOpsServer(
  endpoints: OpsEndpoints,
  opts: { host: string; port: number; log: Logger },
): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply =
      req.method === 'GET' || req.method === 'HEAD' ? endpoints.answer(path) : undefined;
    if (!reply) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    reply.then(
      ({ status, contentType, body }) =>
        res
          .writeHead(status, { 'content-type': contentType })
          .end(req.method === 'HEAD' ? undefined : body),
      (err: unknown) => {
        opts.log.error({ err, path }, 'ops request failed');
        res.writeHead(500).end();
      },
    );
  });
  // Probes come once every few seconds: a short keep-alive keeps shutdown quick.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ port }, 'ops server listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      })),
  };
}
