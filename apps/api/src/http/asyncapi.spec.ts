import { createSchema } from 'zod-openapi';
import {
  APPLICATION_STATUSES,
  CLIENT_DATA,
  CLIENT_EVENTS,
  CLOSE_CODES,
  ErrorCode,
  PUSH_DATA,
  PUSH_EVENTS,
  REPLY_DATA,
} from '@chat/protocol';
import { buildAsyncApi } from './asyncapi';

type Json = Record<string, any>;

const doc = buildAsyncApi({ title: 'chat WebSocket', version: '7' }) as Json;

/** Follows a local `$ref` such as `#/components/messages/reply`. */
function resolve(ref: string): Json {
  expect(ref.startsWith('#/')).toBe(true);
  let node: any = doc;
  for (const part of ref.slice(2).split('/')) {
    expect(node).toHaveProperty([part]);
    node = node[part];
  }
  return node;
}

function refsIn(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refsIn(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refsIn(value, found);
    }
  }
  return found;
}

const message = (key: string) => resolve(doc.channels.ws.messages[key].$ref);
const PUSH_NAMES = Object.values(PUSH_EVENTS);

describe('buildAsyncApi (docs/protocol.md)', () => {
  it('is an AsyncAPI 3.0 document with one channel at /ws', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.info).toMatchObject({ title: 'chat WebSocket', version: '7' });
    expect(doc.defaultContentType).toBe('application/json');
    expect(Object.keys(doc.channels)).toEqual(['ws']);
    expect(doc.channels.ws.address).toBe('/ws');
  });

  it('has one message per client request, one per push and the reply', () => {
    expect(Object.keys(doc.channels.ws.messages).sort()).toEqual(
      [
        'reply',
        ...CLIENT_EVENTS.map((e) => `request.${e}`),
        ...PUSH_NAMES.map((e) => `push.${e}`),
      ].sort(),
    );
    expect(Object.keys(doc.components.messages).sort()).toEqual(
      Object.keys(doc.channels.ws.messages).sort(),
    );
    for (const event of CLIENT_EVENTS) {
      expect(message(`request.${event}`).payload.properties.event).toEqual({
        type: 'string',
        const: event,
      });
      expect(message(`request.${event}`).payload.required).toEqual(
        event === 'ping' ? ['id', 'event'] : ['id', 'event', 'data'],
      );
    }
    for (const event of PUSH_NAMES) {
      const payload = message(`push.${event}`).payload;
      expect(payload.properties.event).toEqual({ type: 'string', const: event });
      // A push never has an id (docs/protocol.md §1).
      expect(Object.keys(payload.properties)).toEqual(['event', 'data']);
    }
  });

  it('receives each request with the reply as its answer, and sends each push', () => {
    const ops = doc.operations as Record<string, Json>;
    expect(Object.keys(ops)).toHaveLength(CLIENT_EVENTS.length + PUSH_NAMES.length);
    for (const event of CLIENT_EVENTS) {
      const op = ops[`request.${event}`];
      expect(op.action).toBe('receive');
      expect(op.channel).toEqual({ $ref: '#/channels/ws' });
      expect(op.messages).toEqual([{ $ref: `#/channels/ws/messages/request.${event}` }]);
      expect(op.reply.messages).toEqual([{ $ref: '#/channels/ws/messages/reply' }]);
    }
    for (const event of PUSH_NAMES) {
      expect(ops[`push.${event}`]).toMatchObject({
        action: 'send',
        channel: { $ref: '#/channels/ws' },
        messages: [{ $ref: `#/channels/ws/messages/push.${event}` }],
      });
    }
  });

  it('resolves every $ref', () => {
    const refs = refsIn(doc);
    expect(refs).toContain('#/components/schemas/MsgInfoWithRly');
    for (const ref of refs) expect(resolve(ref)).toEqual(expect.any(Object));
  });

  it('derives request data from CLIENT_DATA', () => {
    for (const event of CLIENT_EVENTS) {
      expect(message(`request.${event}`).payload.properties.data).toEqual(
        createSchema(CLIENT_DATA[event], { io: 'input', openapiVersion: '3.1.0' }).schema,
      );
    }
    const sendMsg = message('request.send_msg').payload.properties.data;
    expect(sendMsg.properties.msg_content).toEqual({ type: 'string' });
    expect(sendMsg.properties.relation_id).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
    });
    expect(sendMsg.properties.rly_msg_id.minimum).toBe(0);
    expect(sendMsg.properties.msg_extend.anyOf[0].properties.remind.maxItems).toBe(100);
    expect(sendMsg.required).toEqual(['relation_id', 'msg_content']);
    const readMsg = message('request.read_msg').payload.properties.data;
    expect(readMsg.properties.msg_ids).toMatchObject({ type: 'array', minItems: 1, maxItems: 20 });
    expect(message('request.auth').payload.properties.data.required).toEqual(['token']);
  });

  it('describes the data of every push with its schema from PUSH_DATA', () => {
    const data = (event: string) => message(`push.${event}`).payload.properties.data;
    const deref = (node: Json): Json => (node.$ref ? resolve(node.$ref) : node);
    for (const event of PUSH_NAMES) {
      // Fails for a push without a schema: an open object has no properties or required.
      const schema = deref(data(event));
      expect(schema.type).toBe('object');
      expect(Object.keys(schema.properties ?? {}).length).toBeGreaterThan(0);
      expect(schema.required).toEqual(Object.keys(PUSH_DATA[event].shape));
      expect(schema.additionalProperties).not.toEqual({});
      const converted = createSchema(PUSH_DATA[event], { io: 'output', openapiVersion: '3.1.0' });
      expect(data(event)).toEqual(converted.schema);
    }
    expect(data('send_msg')).toMatchObject({
      properties: { msg_info: { $ref: '#/components/schemas/MsgInfoWithRly' } },
      required: ['msg_info'],
    });
    const msgInfo = doc.components.schemas.MsgInfoWithRly;
    expect(msgInfo.properties.msg_content).toEqual({ type: 'string' });
    expect(msgInfo.properties.rly_msg.anyOf[0]).toEqual({ $ref: '#/components/schemas/RlyMsg' });
    expect(msgInfo.required).toEqual(expect.arrayContaining(['id', 'seq', 'read_ids']));
    expect(data('application')).toEqual({ $ref: '#/components/schemas/ApplicationInfo' });
    expect(doc.components.schemas.ApplicationInfo.properties.status.enum).toEqual([
      ...APPLICATION_STATUSES,
    ]);
    expect(data('create_notify')).toEqual({ $ref: '#/components/schemas/NotifyPush' });
    expect(data('update_setting_state').properties.type.enum).toEqual([
      'pin',
      'show',
      'not_disturb',
    ]);
    expect(data('read_msg').required).toEqual([
      'relation_id',
      'reader_id',
      'msg_ids',
      'last_read_msg_id',
    ]);
  });

  it('names the reply data of each request, and the reply allows each and the retry hint', () => {
    const ops = doc.operations as Record<string, Json>;
    const names = {
      auth: 'AuthReply',
      send_msg: 'SendMsgAck',
      read_msg: 'ReadMsgReply',
      ping: 'PingReply',
      typing: 'TypingReply',
      presence_subscribe: 'PresenceSubscribeReply',
      presence_unsubscribe: 'PresenceUnsubscribeReply',
      presence_hidden: 'PresenceHiddenReply',
    };
    for (const event of CLIENT_EVENTS) {
      expect(ops[`request.${event}`]['x-reply-data']).toEqual({
        $ref: `#/components/schemas/${names[event]}`,
      });
      expect(doc.components.schemas[names[event]].required).toEqual(
        Object.keys(REPLY_DATA[event].shape),
      );
    }
    const data = message('reply').payload.properties.data;
    expect(data.anyOf).toEqual(
      [...Object.values(names), 'RetryLater'].map((name) => ({
        $ref: `#/components/schemas/${name}`,
      })),
    );
    expect(doc.components.schemas.RetryLater.required).toEqual(['retry_after_ms']);
    expect(doc.components.schemas.SendMsgAck.properties.msg_id.type).toBe('integer');
  });

  it('gives the reply frame its id, every status code and optional data', () => {
    const reply = message('reply').payload;
    expect(reply.required.sort()).toEqual(['id', 'status_code', 'status_msg']);
    expect(reply.properties.status_code.enum).toEqual(Object.values(ErrorCode));
    expect(reply.properties.status_code.description).toContain('2013 token expired');
    expect(reply.properties.data.anyOf).toHaveLength(CLIENT_EVENTS.length + 1);
  });

  it('lists every close code', () => {
    expect(doc.channels.ws['x-close-codes'].map((c: Json) => c.code)).toEqual([
      4401, 4403, 4408, 4429, 1009, 1011, 1001,
    ]);
    expect(doc.channels.ws['x-close-codes'].map((c: Json) => c.name)).toEqual(
      Object.keys(CLOSE_CODES),
    );
    for (const code of Object.values(CLOSE_CODES)) {
      expect(doc.channels.ws.description).toContain(`${code} `);
    }
  });
});
