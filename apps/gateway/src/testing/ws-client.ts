/**
 * A WebSocket client for the gateway's tests (the `ws` package: Node 20 has no stable
 * client). It keeps every frame received, matches replies by id and records the close.
 */
import { waitFor } from '@chat/testing';
import WebSocket from 'ws';

export interface Reply {
  id: number;
  status_code: number;
  status_msg: string;
  data?: Record<string, unknown>;
}

export interface Push {
  event: string;
  data: Record<string, unknown>;
}

export class TestClient {
  readonly received: (Reply | Push)[] = [];
  closed?: { code: number; reason: string };
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.received.push(JSON.parse(data.toString())));
    ws.on(
      'close',
      (code: number, reason: Buffer) => (this.closed = { code, reason: reason.toString() }),
    );
    ws.on('error', () => undefined);
  }

  /** Connects and waits for the upgrade to complete. */
  static async connect(
    url: string,
    opts: { token?: string; headers?: Record<string, string> } = {},
  ): Promise<TestClient> {
    const target = opts.token ? `${url}?token=${encodeURIComponent(opts.token)}` : url;
    const ws = new WebSocket(target, { headers: opts.headers });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  get pushes(): Push[] {
    return this.received.filter((m): m is Push => !('id' in m));
  }

  /** Sends a request and resolves with its reply. */
  async request(event: string, data?: unknown, timeoutMs = 10_000): Promise<Reply> {
    const id = this.nextId++;
    this.sendJson({ id, event, data });
    return this.reply(id, timeoutMs);
  }

  /** Sends a request without waiting; `reply(id)` collects the answer. */
  fire(event: string, data?: unknown): number {
    const id = this.nextId++;
    this.sendJson({ id, event, data });
    return id;
  }

  reply(id: number, timeoutMs = 10_000): Promise<Reply> {
    return waitFor(() => this.received.find((m): m is Reply => 'id' in m && m.id === id), {
      timeoutMs,
      intervalMs: 5,
      what: `the reply to request ${id}`,
    });
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Resolves with the first push of `event` (matching `match`) received so far or later. */
  push(
    event: string,
    match: (data: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<Push> {
    return waitFor(() => this.pushes.find((p) => p.event === event && match(p.data)), {
      timeoutMs,
      intervalMs: 5,
      what: `a ${event} push`,
    });
  }

  waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    return waitFor(() => this.closed, { timeoutMs, intervalMs: 5, what: 'the socket to close' });
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close();
    }
  }
}
