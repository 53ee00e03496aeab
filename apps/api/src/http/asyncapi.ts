import { z } from 'zod';
import { createSchema } from 'zod-openapi';
import {
  CLIENT_DATA,
  CLIENT_EVENTS,
  CLOSE_CODES,
  ERROR_MESSAGES,
  ErrorCode,
  PUSH_DATA,
  PUSH_EVENTS,
  REPLY_DATA,
  RETRY_LATER_DATA,
  requestFrame,
  type ClientEvent,
  type PushEventName,
} from '@chat/protocol';
import { envelope } from './openapi';

/** When each close code is sent (docs/protocol.md §2.4); a new code fails to compile here. */
const CLOSE_TEXTS: Record<keyof typeof CLOSE_CODES, string> = {
  notAuthenticated:
    'not authenticated within Gateway.AuthTimeout; authentication at upgrade failed; token ' +
    'expired; session ended (after an error push, except for the timeout)',
  accountGone: 'the account was deleted (after error {2010})',
  sendBufferFull: 'the client stopped reading and its send buffer is full',
  tooManyConnections:
    'the account holds Gateway.MaxConnectionsPerAccount sockets already (after the 1004 reply ' +
    'to auth, or error {1004} for a token given with the upgrade)',
  frameTooLarge: 'a frame above Gateway.MaxFrameBytes',
  authUnavailable:
    'the token given at upgrade could not be checked (dependency failure; after error {1003})',
  goingAway: 'the server is shutting down',
};

const REQUEST_TEXTS: Record<ClientEvent, string> = {
  auth: 'Authenticate the connection with an account token (docs/protocol.md §2.1).',
  send_msg: 'Send a text message; the reply is its ack (docs/protocol.md §3.2).',
  read_msg: 'Mark messages read (docs/protocol.md §3.3).',
  ping: 'Application-level ping, served before authentication too (docs/protocol.md §3.1).',
  typing:
    'Tell the other members of a conversation that the account types or stopped (docs/protocol.md §3.4).',
  presence_subscribe:
    'Watch the presence of friends and fellow group members; the reply holds their current state (docs/protocol.md §3.5).',
  presence_unsubscribe: 'Stop watching the presence of these accounts (docs/protocol.md §3.5).',
  presence_hidden:
    'Hide the account’s presence from everyone else, or show it again (docs/protocol.md §3.6).',
};

/** Every status code of docs/errors.md, with its message. */
const STATUS_CODES = Object.values(ErrorCode) as number[];
const statusCodesText = STATUS_CODES.map(
  (code) => `${code} ${ERROR_MESSAGES[code as ErrorCode]}`,
).join('; ');

type JsonSchema = ReturnType<typeof createSchema>['schema'];

/** Converts zod schemas as the OpenAPI document does, gathering the named components. */
class SchemaSet {
  readonly components: Record<string, object> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const result = createSchema(schema, { io, openapiVersion: '3.1.0' });
    Object.assign(this.components, result.components);
    return result.schema;
  }
}

function requestMessage(event: ClientEvent, schemas: SchemaSet) {
  const frame = z.object({
    id: requestFrame.shape.id.meta({ description: 'chosen by the client, echoed in the reply' }),
    event: z.literal(event),
    data: CLIENT_DATA[event],
  });
  return {
    name: event,
    title: `${event} request`,
    summary: REQUEST_TEXTS[event],
    payload: schemas.convert(frame, 'input'),
  };
}

function pushMessage(event: PushEventName, schemas: SchemaSet) {
  return {
    name: event,
    title: `${event} push`,
    summary: `Server push ${event} (docs/protocol.md §4); never has an id.`,
    payload: schemas.convert(
      z.object({ event: z.literal(event), data: PUSH_DATA[event] }),
      'output',
    ),
  };
}

/**
 * The reply frame: on success the data of the request answered (`x-reply-data` of its
 * operation names which), on a 1004 that carries it the retry hint, otherwise none.
 */
function replyMessage(schemas: SchemaSet) {
  const data = z.union([...CLIENT_EVENTS.map((e) => REPLY_DATA[e]), RETRY_LATER_DATA]).meta({
    description:
      'present on success (the data of the request answered: see x-reply-data of its ' +
      'operation), and on a 1004 that carries retry_after_ms (docs/protocol.md §3)',
  });
  const frame = envelope(data).extend({
    id: z.number().int().min(0).meta({ description: 'the id of the request answered' }),
    status_code: z
      .literal(STATUS_CODES)
      .meta({ description: `a code of docs/errors.md: ${statusCodesText}` }),
  });
  return {
    name: 'reply',
    title: 'reply',
    summary: 'Exactly one per request, matched by id (docs/protocol.md §1).',
    payload: schemas.convert(frame, 'output'),
  };
}

/**
 * The AsyncAPI 3.0 document of the WebSocket protocol at `/ws` (docs/protocol.md): request,
 * reply and push frames generated from the zod schemas of @chat/protocol, with the same
 * conversion as the OpenAPI document, and the close codes of §2.4.
 */
export function buildAsyncApi(info: { title: string; version: string }) {
  const schemas = new SchemaSet();
  const messages: Record<string, object> = {};
  const operations: Record<string, object> = {};
  const channel = { $ref: '#/channels/ws' };
  const inChannel = (key: string) => ({ $ref: `#/channels/ws/messages/${key}` });

  messages.reply = replyMessage(schemas);
  for (const event of CLIENT_EVENTS) {
    const key = `request.${event}`;
    messages[key] = requestMessage(event, schemas);
    operations[`request.${event}`] = {
      action: 'receive',
      title: `${event} request`,
      summary: REQUEST_TEXTS[event],
      channel,
      messages: [inChannel(key)],
      reply: { channel, messages: [inChannel('reply')] },
      'x-reply-data': schemas.convert(REPLY_DATA[event], 'output'),
    };
  }
  for (const event of Object.values(PUSH_EVENTS)) {
    const key = `push.${event}`;
    messages[key] = pushMessage(event, schemas);
    operations[`push.${event}`] = {
      action: 'send',
      title: `${event} push`,
      channel,
      messages: [inChannel(key)],
    };
  }

  const closeCodes = (Object.keys(CLOSE_CODES) as (keyof typeof CLOSE_CODES)[]).map((name) => ({
    code: CLOSE_CODES[name],
    name,
    description: CLOSE_TEXTS[name],
  }));

  return {
    asyncapi: '3.0.0',
    info: {
      ...info,
      description:
        'WebSocket protocol of the chat server (docs/protocol.md): one JSON object per text ' +
        'frame. Operations are described from the server’s side: it receives requests and ' +
        'sends replies and pushes.',
    },
    defaultContentType: 'application/json',
    channels: {
      ws: {
        address: '/ws',
        title: 'WebSocket',
        description:
          'The account token comes with the upgrade (query token or the Authorization ' +
          'header) or in an auth request within Gateway.AuthTimeout (docs/protocol.md §2.1). ' +
          'Close codes (docs/protocol.md §2.4): ' +
          closeCodes.map((c) => `${c.code} ${c.description}`).join('; ') +
          '.',
        messages: Object.fromEntries(
          Object.keys(messages).map((key) => [key, { $ref: `#/components/messages/${key}` }]),
        ),
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: { token: { type: 'string', description: 'an account token' } },
            },
            bindingVersion: '0.1.0',
          },
        },
        'x-close-codes': closeCodes,
      },
    },
    operations,
    components: { messages, schemas: schemas.components },
  };
}
