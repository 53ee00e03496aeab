import { CLOSE_CODES, ErrorCode } from '@chat/protocol';
import { errorPushText, pushText, replyText } from '../protocol/frames';
import { Connection } from './connection';
import { SocketIoWire, type AckBody } from './socketio-wire';

/** A Socket.IO server socket that records what the wire does with it. */
function fakeSocket() {
  const log: unknown[][] = [];
  return {
    log,
    socket: {
      emit: (event: string, ...args: unknown[]) => log.push(['emit', event, ...args]),
      disconnect: (close?: boolean) => log.push(['disconnect', close]),
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('SocketIoWire', () => {
  it('writes an event as the request frame it stands for, and acks the reply to it', () => {
    const { socket, log } = fakeSocket();
    const wire = new SocketIoWire(socket);
    const acks: AckBody[] = [];
    const first = JSON.parse(
      wire.request('send_msg', { relation_id: 5, msg_content: 'hi' }, (b) => acks.push(b)),
    );
    expect(first).toEqual({
      id: 1,
      event: 'send_msg',
      data: { relation_id: 5, msg_content: 'hi' },
    });
    const second = JSON.parse(wire.request('ping', undefined, (b) => acks.push(b)));
    expect(second).toEqual({ id: 2, event: 'ping' });
    // A number is no event name: the frame says so, and the dispatcher answers 1001.
    expect(JSON.parse(wire.request(7, {})).event).toBe(7);

    // Replies may come in any order; each goes to its own ack, once, without its id.
    expect(wire.send(replyText(2, ErrorCode.Success, undefined, { server_time: 't' }))).toBe(1);
    expect(
      wire.send(replyText(1, ErrorCode.InvalidParams, 'msg_content: too long', { x: 1 })),
    ).toBe(1);
    wire.send(replyText(1, ErrorCode.Success, undefined, {}));
    expect(acks).toEqual([
      { status_code: 0, status_msg: 'ok', data: { server_time: 't' } },
      { status_code: 1001, status_msg: 'msg_content: too long' },
    ]);
    // A reply to a request sent without an ack goes nowhere.
    wire.send(replyText(3, ErrorCode.Success, undefined, {}));
    expect(log).toEqual([]);
  });

  it('acks an error reply with the data it carries (7004 muted_until, 1004 retry_after_ms)', () => {
    const { socket } = fakeSocket();
    const wire = new SocketIoWire(socket);
    const acks: AckBody[] = [];
    wire.request('send_msg', { relation_id: 5, msg_content: 'hi' }, (b) => acks.push(b));
    wire.request('send_msg', { relation_id: 5, msg_content: 'hi' }, (b) => acks.push(b));
    const muted = { muted_until: '2026-12-05T22:00:00.000Z' };
    wire.send(replyText(1, ErrorCode.MemberMuted, undefined, muted));
    wire.send(replyText(2, ErrorCode.TooManyRequests, undefined, { retry_after_ms: 250 }));
    expect(acks).toEqual([
      { status_code: ErrorCode.MemberMuted, status_msg: 'muted in this group', data: muted },
      {
        status_code: ErrorCode.TooManyRequests,
        status_msg: expect.any(String),
        data: { retry_after_ms: 250 },
      },
    ]);
  });

  it('emits a push as an event of its name with its data', async () => {
    const { socket, log } = fakeSocket();
    const wire = new SocketIoWire(socket);
    wire.send(pushText('send_msg', { msg_info: { id: 9 } }));
    wire.send(pushText('account_login', { address: '203.0.113.9' }));
    await flush();
    expect(log).toEqual([
      ['emit', 'send_msg', { msg_info: { id: 9 } }],
      ['emit', 'account_login', { address: '203.0.113.9' }],
    ]);
  });

  it('emits an error push on its own when no close follows it, in order', async () => {
    const { socket, log } = fakeSocket();
    const wire = new SocketIoWire(socket);
    wire.send(errorPushText(ErrorCode.InvalidParams, 'frame is not valid JSON'));
    expect(log).toEqual([]);
    wire.send(pushText('send_msg', { n: 1 }));
    wire.send(errorPushText(ErrorCode.InvalidParams, 'again'));
    await flush();
    expect(log).toEqual([
      ['emit', 'error', { status_code: 1001, status_msg: 'frame is not valid JSON' }],
      ['emit', 'send_msg', { n: 1 }],
      ['emit', 'error', { status_code: 1001, status_msg: 'again' }],
    ]);
  });

  it('turns an error push and the close of the same turn into one error event, then a disconnect', async () => {
    const { socket, log } = fakeSocket();
    const wire = new SocketIoWire(socket);
    wire.send(pushText('update_email', { email: 'new@example.com' }));
    wire.send(errorPushText(ErrorCode.TokenExpired, 'token revoked'));
    wire.end(CLOSE_CODES.notAuthenticated, 'token revoked');
    await flush();
    expect(log).toEqual([
      ['emit', 'update_email', { email: 'new@example.com' }],
      [
        'emit',
        'error',
        {
          status_code: 2013,
          status_msg: 'token revoked',
          close_code: 4401,
          close_reason: 'token revoked',
        },
      ],
      ['disconnect', true],
    ]);
    // Nothing is written once it ended, and it ends once.
    expect(wire.send(pushText('send_msg', {}))).toBe(2);
    wire.end(CLOSE_CODES.goingAway, 'server going away');
    expect(log).toHaveLength(3);
  });

  it.each([
    [CLOSE_CODES.notAuthenticated, 'authentication timeout', ErrorCode.AuthMissing],
    [CLOSE_CODES.frameTooLarge, 'frame too large', ErrorCode.InvalidParams],
    [CLOSE_CODES.sendBufferFull, 'send buffer full', ErrorCode.TooManyRequests],
    [CLOSE_CODES.tooManyConnections, 'too many connections', ErrorCode.TooManyRequests],
    [CLOSE_CODES.goingAway, 'server going away', ErrorCode.ServerError],
  ])('says why a close %i came without an error push before it', (code, reason, status) => {
    const { socket, log } = fakeSocket();
    new SocketIoWire(socket).end(code, reason);
    expect(log).toEqual([
      [
        'emit',
        'error',
        { status_code: status, status_msg: reason, close_code: code, close_reason: reason },
      ],
      ['disconnect', true],
    ]);
  });

  it('serves a Connection: its send-buffer bound closes the socket with 4408', () => {
    const { socket, log } = fakeSocket();
    let buffered = 0;
    const wire = new SocketIoWire(socket, () => buffered);
    const conn = new Connection(
      'gw1.test.1',
      '127.0.0.1',
      {
        framesPerSecond: 0,
        maxBufferedBytes: 100,
      },
      0,
    );
    conn.attach(wire);
    expect(conn.send(pushText('send_msg', { n: 1 }))).toBe(true);
    buffered = 101;
    expect(conn.send(pushText('send_msg', { n: 2 }))).toBe(false);
    expect(log.at(-2)).toEqual([
      'emit',
      'error',
      {
        status_code: ErrorCode.TooManyRequests,
        status_msg: 'send buffer full',
        close_code: 4408,
        close_reason: 'send buffer full',
      },
    ]);
    expect(log.at(-1)).toEqual(['disconnect', true]);
  });
});
