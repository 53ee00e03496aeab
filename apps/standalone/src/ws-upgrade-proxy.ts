import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@chat/logger';

export interface UpgradeTarget {
  /**
   * Only upgrades of these paths are handed on (`/ws`, and Socket.IO's `/socket.io/`,
   * whose clients connect with the WebSocket transport); others are refused with 404.
   */
  paths: readonly string[];
  host: string;
  port: number;
}

/**
 * One port for the whole server: the api's HTTP listener takes every request, and hands a
 * WebSocket upgrade of `/ws` or `/socket.io/` to the gateway's uWebSockets.js listener on a
 * loopback port by replaying the request and then copying bytes both ways. The client's address travels in
 * `X-Forwarded-For`, appended to what earlier hops wrote; the gateway believes the entries
 * of trusted hops only (`Server.TrustProxy`, plus loopback for this hop). uWS cannot take
 * over a socket Node has accepted, hence the local hop (one extra copy per frame).
 */
export function wsUpgradeProxy(target: UpgradeTarget, log: Logger) {
  return (req: IncomingMessage, client: Duplex, head: Buffer): void => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!target.paths.includes(pathname)) {
      client.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const fail = (err?: Error) => {
      if (err) log.debug({ err: err.message }, 'websocket hand-off ended with an error');
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    upstream.once('connect', () => {
      upstream.setNoDelay(true);
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      const forwarded: string[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (req.rawHeaders[i].toLowerCase() === 'x-forwarded-for') {
          forwarded.push(req.rawHeaders[i + 1]);
          continue;
        }
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      // The peer is appended as any proxy does: the gateway walks the list back only
      // through hops that Server.TrustProxy names, so an entry a client wrote is not believed.
      forwarded.push(req.socket.remoteAddress ?? '');
      lines.push(`X-Forwarded-For: ${forwarded.join(', ')}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };
}
