import WebSocket from 'ws';
import { CLOSE_CODES, ERROR_MESSAGES, ErrorCode, PUSH_EVENTS } from '@chat/protocol';
import type { FramePlan, Rendered, SocketName, WsExpect, WsState } from './ws-cases';
import { clip, type Tally } from './tally';

const KNOWN_CODES = new Set(Object.keys(ERROR_MESSAGES).map(Number));
const PUSHES = new Set<string>(Object.values(PUSH_EVENTS));
const REPLY_KEYS = new Set(['id', 'status_code', 'status_msg', 'data']);
/** `Gateway.MaxFrameBytes` of the apps under test (the default). */
export const MAX_FRAME_BYTES = 65536;
/** Acked messages kept for replies and resends: the latest few hundred. */
const KEEP_ACKED = 300;

interface Sent {
  kind: string;
  expect: Extract<WsExpect, { type: 'reply' }>;
  payload: string | Buffer;
  note: string;
}

/** A socket with its listeners attached before the upgrade completes: nothing is missed. */
function connectRaw(url: string, token?: string, headers?: Record<string, string>) {
  const u = new URL(url);
  if (token) u.searchParams.set('token', token);
  const ws = new WebSocket(u, { maxPayload: 4 * 1024 * 1024, headers });
  ws.on('error', () => undefined);
  const frames: string[] = [];
  ws.on('message', (raw: Buffer) => frames.push(raw.toString('utf8')));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames, closed, opened };
}

function show(payload: string | Buffer): string {
  return typeof payload === 'string' ? clip(payload, 240) : `<binary ${payload.length} B>`;
}

/**
 * One fuzzing socket: sends rendered frames with many in flight, and judges every frame
 * the server sends back: each reply against its request, each push for its shape.
 */
export class FuzzSocket {
  private readonly sent = new Map<number, Sent>();
  /** Kinds of the frames still owed an `error` push, in order. */
  private readonly errorsDue: string[] = [];
  private waiters: (() => void)[] = [];
  closed?: { code: number; reason: string };

  private constructor(
    readonly name: SocketName,
    private readonly ws: WebSocket,
    /** Account id the socket is bound to, or null. */
    private readonly accountId: number | null,
    private readonly state: WsState,
    private readonly tally: Tally,
  ) {
    ws.on('message', (raw: Buffer, isBinary: boolean) => this.received(raw, isBinary));
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.tally.defect(`WS ${name}: closed by the server with ${code} ${reason.toString()}`);
      for (const [id, s] of this.sent) {
        this.tally.defect(
          `WS ${s.kind}: no reply to #${id} before close: ${show(s.payload)} (${s.note})`,
        );
      }
      this.sent.clear();
      this.wake();
    });
  }

  static async connect(
    name: SocketName,
    url: string,
    token: string | undefined,
    accountId: number | null,
    state: WsState,
    tally: Tally,
  ): Promise<FuzzSocket> {
    const { ws, opened } = connectRaw(url, token);
    const socket = new FuzzSocket(name, ws, accountId, state, tally);
    await opened;
    return socket;
  }

  get inFlight(): number {
    return this.sent.size + this.errorsDue.length;
  }

  /** Waits until fewer than `window` frames are owed an answer. */
  async room(window: number): Promise<void> {
    while (this.inFlight >= window && !this.closed) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  send(plan: FramePlan, id: number): void {
    if (this.closed) return;
    const r: Rendered = plan.render(id, this.state, this.name);
    const bytes = typeof r.payload === 'string' ? Buffer.byteLength(r.payload) : r.payload.length;
    // A larger frame closes the socket (1009): the edge cases send those on sockets of their own.
    if (bytes > MAX_FRAME_BYTES) throw new Error(`the generator made a ${bytes} B frame`);
    if (r.expect.type === 'reply') {
      this.sent.set(id, { kind: plan.kind, expect: r.expect, payload: r.payload, note: r.note });
    } else {
      this.errorsDue.push(plan.kind);
    }
    // Now and then a message in three fragments (RFC 6455 §5.4): the server reassembles it.
    const data = typeof r.payload === 'string' ? Buffer.from(r.payload) : r.payload;
    if (id % 16 === 5 && data.length >= 3) {
      const a = Math.floor(data.length / 3);
      this.ws.send(data.subarray(0, a), { binary: r.binary, fin: false });
      this.ws.send(data.subarray(a, 2 * a), { binary: r.binary, fin: false });
      this.ws.send(data.subarray(2 * a), { binary: r.binary, fin: true });
    } else {
      this.ws.send(r.payload, { binary: r.binary });
    }
  }

  /** Waits until every frame sent got its answer, or reports the ones that did not. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 && !this.closed && Date.now() < deadline) {
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push(resolve)),
        new Promise((resolve) => setTimeout(resolve, 200)),
      ]);
    }
    for (const [id, s] of this.sent) {
      this.tally.count(s.kind, 'no reply');
      this.tally.defect(
        `WS ${s.kind}: no reply to #${id} within the drain: ${show(s.payload)} (${s.note})`,
      );
    }
    if (this.errorsDue.length) {
      this.tally.defect(`WS ${this.name}: ${this.errorsDue.length} frames got no error push`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.ws.removeAllListeners('close');
    const done = new Promise((resolve) => this.ws.once('close', resolve));
    this.ws.close(1000);
    await done;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private received(raw: Buffer, isBinary: boolean): void {
    try {
      this.judge(raw, isBinary);
    } finally {
      this.wake();
    }
  }

  private judge(raw: Buffer, isBinary: boolean): void {
    const text = raw.toString('utf8');
    if (isBinary) return this.tally.defect(`WS ${this.name}: binary frame from the server`);
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.tally.defect(`WS ${this.name}: server frame not JSON: ${clip(text)}`);
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      return this.tally.defect(`WS ${this.name}: server frame not an object: ${clip(text)}`);
    }
    if ('id' in frame) return this.reply(frame, text);
    if (typeof frame.event !== 'string' || !PUSHES.has(frame.event) || !('data' in frame)) {
      return this.tally.defect(`WS ${this.name}: neither reply nor push: ${clip(text)}`);
    }
    if (frame.event !== PUSH_EVENTS.error) return;
    const data = frame.data as { status_code?: unknown; status_msg?: unknown };
    const kind = this.errorsDue.shift();
    if (kind === undefined) {
      return this.tally.defect(`WS ${this.name}: error push for no bad frame: ${clip(text)}`);
    }
    this.tally.count(kind, `error push ${String(data?.status_code)}`);
    if (data?.status_code !== ErrorCode.InvalidParams || typeof data.status_msg !== 'string') {
      this.tally.defect(`WS ${kind}: error push ${clip(text)}, want status_code 1001`);
    }
  }

  private reply(frame: Record<string, unknown>, text: string): void {
    const id = frame.id as number;
    const s = this.sent.get(id);
    if (!s)
      return this.tally.defect(`WS ${this.name}: reply to no request in flight: ${clip(text)}`);
    this.sent.delete(id);
    const code = frame.status_code;
    const problems: string[] = [];
    const extra = Object.keys(frame).filter((k) => !REPLY_KEYS.has(k));
    if (extra.length) problems.push(`extra keys ${extra.join(',')}`);
    if (!Number.isInteger(code) || !KNOWN_CODES.has(code as number))
      problems.push(`status_code ${String(code)}`);
    if (typeof frame.status_msg !== 'string' || frame.status_msg.length === 0)
      problems.push('status_msg missing');
    this.tally.count(
      s.kind,
      String(code),
      () => `${show(s.payload)} (${s.note}) → ${clip(text, 160)}`,
    );
    const c = code as number;
    if (c === ErrorCode.ServerError) problems.push('server error');
    if (!s.expect.codes.includes(c)) {
      problems.push(`code ${c}, want one of ${s.expect.codes.join(',')}`);
    } else if (
      c === ErrorCode.InvalidParams &&
      s.expect.mentions &&
      !s.expect.mentions.some((m) => String(frame.status_msg).includes(m))
    ) {
      problems.push(`status_msg names none of ${s.expect.mentions.join(', ')}`);
    }
    const data = frame.data as Record<string, unknown> | undefined;
    if (c !== 0 && c !== ErrorCode.TooManyRequests && 'data' in frame)
      problems.push(`error ${c} carries data`);
    if (c === ErrorCode.TooManyRequests && data !== undefined) {
      if (!(typeof data.retry_after_ms === 'number' && data.retry_after_ms > 0))
        problems.push('1004 data without retry_after_ms');
    }
    if (c === 0) problems.push(...this.successData(s, data));
    if (problems.length) {
      this.tally.defect(
        `WS ${s.kind}: ${problems.join('; ')}\n    frame: ${show(s.payload)}\n    reply: ${clip(text, 240)}\n    case: ${s.note}`,
      );
    }
  }

  /** What a success must carry, per event (docs/protocol.md §2.1, §3). */
  private successData(s: Sent, data: Record<string, unknown> | undefined): string[] {
    if (!data || typeof data !== 'object') return ['success without data'];
    switch (s.expect.event) {
      case 'ping':
        return typeof data.server_time === 'string' && !Number.isNaN(Date.parse(data.server_time))
          ? []
          : ['ping without server_time'];
      case 'auth':
        return data.account_id === this.accountId && typeof data.expired_at === 'string'
          ? []
          : [`auth data ${JSON.stringify(data)}`];
      case 'read_msg':
        return Number.isSafeInteger(data.last_read_msg_id)
          ? []
          : ['read_msg without last_read_msg_id'];
      case 'send_msg': {
        const msgId = data.msg_id as number;
        if (!Number.isSafeInteger(msgId) || msgId <= 0 || typeof data.create_at !== 'string')
          return ['send_msg ack without msg_id'];
        if (s.expect.sameMsgId !== undefined && msgId !== s.expect.sameMsgId) {
          return [`resend acked ${msgId}, the first ack was ${s.expect.sameMsgId}`];
        }
        const r = s.expect.remember;
        if (r) {
          this.state.acked.push({
            msgId,
            relation: r.relation,
            clientMsgId: r.clientMsgId,
            account: r.account,
          });
          if (this.state.acked.length > KEEP_ACKED)
            this.state.acked.splice(0, this.state.acked.length - KEEP_ACKED);
        }
        return [];
      }
      default:
        return [`success for event ${s.expect.event}`];
    }
  }
}

export interface EdgeOutcome {
  kind: string;
  answer: string;
}

/**
 * Frames that end the connection, each on a socket of its own: larger than
 * `Gateway.MaxFrameBytes` (close 1009), a text frame that is not UTF-8 (RFC 6455: the
 * connection fails), and upgrades with refused tokens (an `error` push, then 4401); and a
 * frame of exactly the largest size, which is read and answered.
 */
export async function edgeCase(
  url: string,
  token: string,
  what: 'oversize' | 'at-limit' | 'bad-utf8' | 'bad-upgrade',
  opts: { size: number; badToken: { token: string; code: number }; viaHeader: boolean },
): Promise<EdgeOutcome & { problem?: string }> {
  // A refused token in the query string, or in the Authorization header (docs/protocol.md §2.1).
  const upgrade = what === 'bad-upgrade';
  const {
    ws,
    frames: all,
    closed,
    opened,
  } = connectRaw(
    url,
    upgrade ? (opts.viaHeader ? undefined : opts.badToken.token) : token,
    upgrade && opts.viaHeader ? { authorization: `Bearer ${opts.badToken.token}` } : undefined,
  );
  await opened;
  // The account's pushes (messages, reads) reach this socket too: only the rest is looked at.
  const notPushed = () =>
    all.filter((f) => {
      const event = (JSON.parse(f) as { event?: unknown }).event;
      return event === undefined || event === 'error';
    });
  const frames = {
    get length() {
      return notPushed().length;
    },
  };
  const timeout = (ms: number) =>
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms));
  const kind = `ws:${what}`;
  if (what === 'bad-upgrade') {
    const code = await Promise.race([closed, timeout(10_000)]);
    const push = notPushed().map(
      (f) => JSON.parse(f) as { event?: string; data?: { status_code?: number } },
    );
    const ok =
      code === CLOSE_CODES.notAuthenticated &&
      push.length === 1 &&
      push[0].event === 'error' &&
      push[0].data?.status_code === opts.badToken.code;
    return {
      kind,
      answer: `close ${code}`,
      problem: ok
        ? undefined
        : `upgrade with a refused token: close ${code}, frames ${notPushed().join(' | ')}, want error ${opts.badToken.code} and 4401`,
    };
  }
  if (what === 'at-limit') {
    // Exactly the largest frame allowed: read and refused (msg_content far too long).
    const head = '{"id":1,"event":"send_msg","data":{"relation_id":1,"msg_content":"';
    const tail = '"}}';
    ws.send(head + 'x'.repeat(MAX_FRAME_BYTES - head.length - tail.length) + tail);
    const answered = await Promise.race([
      (async () => {
        while (frames.length === 0) await new Promise((r) => setTimeout(r, 10));
        return notPushed()[0];
      })(),
      closed.then((c) => `closed ${c}`),
      timeout(10_000),
    ]);
    ws.close(1000);
    await closed;
    const reply = (() => {
      try {
        return JSON.parse(answered) as { id?: number; status_code?: number };
      } catch {
        return {};
      }
    })();
    return {
      kind,
      answer: String(reply.status_code ?? answered),
      problem:
        reply.id === 1 && reply.status_code === ErrorCode.InvalidParams
          ? undefined
          : `frame at the size limit answered ${clip(answered)}`,
    };
  }
  if (what === 'oversize') {
    ws.send('{"id":1,"event":"ping","data":"' + 'x'.repeat(opts.size) + '"}');
  } else {
    // `{"` then invalid UTF-8 (a cut sequence, an encoded surrogate, 0xFF), then `"}`.
    const bytes = [0x7b, 0x22, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xff, 0x22, 0x7d];
    ws.send(Buffer.from(bytes), { binary: false });
  }
  const code = await Promise.race([closed, timeout(10_000)]);
  // RFC 6455 §8.1: a text frame that is not UTF-8 fails the connection. uWS drops it without
  // a close frame (1006 at the client), which §7.1.7 allows; a 1007 close frame is fine too.
  const want: (number | 'timeout')[] =
    what === 'oversize' ? [CLOSE_CODES.frameTooLarge] : [1006, 1007];
  if (code === 'timeout') ws.terminate();
  return {
    kind,
    answer: `close ${code}`,
    problem:
      want.includes(code) && frames.length === 0
        ? undefined
        : `${what}: close ${code}, frames ${notPushed().join(' | ')}, want ${want.join(' or ')}`,
  };
}
