import { createLogger } from '@chat/logger';
import { InfrastructureError } from '@chat/protocol';
import { Connection } from '../sockets/connection';
import { Deferred } from './deferred';
import { Dispatcher, UNAVAILABLE_RETRY_AFTER_MS } from './dispatcher';
import { InFlight } from './in-flight';
import type { ReadMessageHandler } from './read-msg.handler';
import type { SendMessageHandler } from './send-msg.handler';
import type { Session } from './session';
import type { TypingHandler } from './typing.handler';
import type { PresenceWatch } from '../presence/presence-watch';

const log = createLogger({ name: 'test', level: 'silent' });

/**
 * How the gateway answers a request whose work failed in a dependency. A send refused while
 * the bus, Redis or the database is unreachable must say that it was not taken and may be
 * sent again: a well-behaved client resends it with the same client_msg_id.
 */
describe('Dispatcher replies to failures', () => {
  let failure: () => Promise<unknown>;
  let inFlight: InFlight;
  let dispatcher: Dispatcher;
  let written: { id?: number; status_code: number; status_msg: string; data?: unknown }[];
  let conn: Connection;

  beforeEach(() => {
    inFlight = new InFlight();
    const handler = { handle: () => failure() };
    dispatcher = new Dispatcher({
      session: {} as Session,
      sendMessage: handler as unknown as SendMessageHandler,
      readMessage: handler as unknown as ReadMessageHandler,
      typing: handler as unknown as TypingHandler,
      presence: {} as PresenceWatch,
      inFlight,
      maxFrameBytes: 64 * 1024,
      isStopping: () => false,
      log,
    });
    conn = new Connection(
      'gw1.test.1',
      '127.0.0.1',
      { framesPerSecond: 0, maxBufferedBytes: 1 << 20 },
      0,
    );
    conn.accountId = 7;
    conn.expiresAt = Date.now() + 60_000;
    written = [];
    conn.send = (text: string) => (written.push(JSON.parse(text) as (typeof written)[0]), true);
  });

  async function request(event: string, data: unknown) {
    const frame = Buffer.from(JSON.stringify({ id: 5, event, data }));
    dispatcher.onFrame(conn, new Uint8Array(frame).buffer, false);
    await inFlight.drained(5000);
    expect(written).toHaveLength(1);
    return written[0];
  }

  const send = { relation_id: 3, msg_content: 'hi', client_msg_id: 'c1' };
  const outage = () => new InfrastructureError('bus: publish failed', new Error('ECONNREFUSED'));

  it('refuses a send the bus did not take with 1004 and retry_after_ms', async () => {
    failure = async () => new Deferred(Promise.reject(outage()));
    expect(await request('send_msg', send)).toEqual({
      id: 5,
      status_code: 1004,
      status_msg: expect.stringContaining('unavailable'),
      data: { retry_after_ms: UNAVAILABLE_RETRY_AFTER_MS },
    });
  });

  it('refuses the same way when a lookup before the publish failed (Redis, database)', async () => {
    failure = () => Promise.reject(new InfrastructureError('redis: get failed', new Error('down')));
    expect(await request('send_msg', send)).toMatchObject({
      status_code: 1004,
      data: { retry_after_ms: UNAVAILABLE_RETRY_AFTER_MS },
    });
    written = [];
    expect(
      await request('read_msg', { relation_id: 3, msg_ids: [1] }).then((r) => r.status_code),
    ).toBe(1004);
  });

  it('answers 1003 for a failure a retry cannot fix, and for an unknown one', async () => {
    failure = () => Promise.reject(new InfrastructureError('bus: closed', undefined, false));
    expect(await request('send_msg', send)).toMatchObject({ status_code: 1003 });
    written = [];
    failure = () => Promise.reject(new TypeError('a bug'));
    const reply = await request('send_msg', send);
    expect(reply).toMatchObject({ status_code: 1003 });
    expect(reply.data).toBeUndefined();
  });
});
