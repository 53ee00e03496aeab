import fc from 'fast-check';
import { ErrorCode } from '@chat/protocol';
import {
  deepNesting,
  jsonNotObject,
  jsonText,
  MAX_ID,
  notAnId,
  notJsonText,
  oddString,
  overlongString,
  plainText,
  POLLUTING_KEYS,
  pollutingValue,
  RawJson,
  unstorableString,
  withKey,
  wrongType,
} from './values';

export type SocketName = 'a1' | 'a2' | 'b1' | 'anon';

/** A token the gateway must refuse, with its code. */
export interface BadToken {
  name: string;
  token: string;
  code: number;
}

/** What the WebSocket fuzzer's two accounts have: tokens, relations, and foreign ones. */
export interface WsWorld {
  /** Account of each authenticated socket (a1 and a2 share one), and its token. */
  accounts: Record<'a' | 'b', { id: number; token: string; relations: number[] }>;
  /** Relations neither account belongs to. */
  foreignRelations: number[];
  badTokens: BadToken[];
}

/** What the runner knows while it sends: acked messages, per account. */
export interface WsState {
  /** Acked `send_msg`: message id → relation, client_msg_id and the ack's id. */
  acked: { msgId: number; relation: number; clientMsgId?: string; account: 'a' | 'b' }[];
}

/** A send to remember once acked: for replies to it and resends of its client_msg_id. */
export interface Remember {
  relation: number;
  clientMsgId?: string;
  account: 'a' | 'b';
}

export type WsExpect =
  /** A reply with this id and one of these codes. */
  | {
      type: 'reply';
      id: number;
      event: string;
      codes: number[];
      /** For a resent client_msg_id: the id the first ack gave. */
      sameMsgId?: number;
      /** Remembered as acked when the reply is 0 (send_msg). */
      remember?: Remember;
      /** A 1001 names one of these in its status_msg. */
      mentions?: string[];
    }
  /** No reply: an `error` push with 1001 (the frame is not a request). */
  | { type: 'error-push' };

export interface Rendered {
  payload: string | Buffer;
  binary: boolean;
  expect: WsExpect;
  note: string;
}

/**
 * A generated frame: its kind, and how to write it once its id and socket are known (what
 * it must get depends on the socket: anonymous, or whose account).
 */
export interface FramePlan {
  kind: string;
  render(id: number, state: WsState, socket: SocketName): Rendered;
}

const accountOf = (s: SocketName): 'a' | 'b' | null =>
  s === 'anon' ? null : s === 'b1' ? 'b' : 'a';

/** Ids of the envelope that are no request id: the frame gets an `error` push. */
const badEnvelopeId: fc.Arbitrary<{ present: boolean; value: unknown }> = fc.oneof(
  fc.constant({ present: false, value: undefined }),
  fc
    .oneof(
      fc.constantFrom(null, true, '5', '', [], {}, -1, 1.5, MAX_ID + 1, -0.5),
      fc.constantFrom(new RawJson('1e400'), new RawJson('9007199254740993'), new RawJson('-1e-7')),
      fc.integer({ max: -1 }),
      fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 6 }),
    )
    .map((value) => ({ present: true, value })),
);

/** How a valid id is written: `17`, `17.0` or `17e0` are the same number. */
const idStyle = fc.oneof(
  { weight: 18, arbitrary: fc.constant('plain') },
  fc.constantFrom('fraction', 'exponent'),
);

function idText(id: number, style: string): string {
  if (style === 'fraction') return `${id}.0`;
  if (style === 'exponent') return `${id}e0`;
  return String(id);
}

/** Event values that name no event: answered 1001 (they still have an id). */
const unknownEvent: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }).filter((s) => !['auth', 'send_msg', 'read_msg', 'ping'].includes(s)),
  fc.constantFrom(
    '',
    'PING',
    'ping ',
    ' auth',
    'send-msg',
    'sendMsg',
    'test',
    'error',
    'account_login',
    ...POLLUTING_KEYS,
  ),
  fc.constantFrom(
    5,
    null,
    true,
    ['ping'],
    ['send_msg'],
    { toString: 1 },
    { toString: 'ping' },
    {},
    new RawJson('1e400'),
  ),
);

interface DataPlan {
  /** The data value, or absent. */
  data: { present: boolean; value: unknown };
  /** Codes for an authenticated socket; an anonymous one is decided by the event. */
  codes: number[];
  sameMsgId?: number;
  remember?: Remember;
  /** A refusal names one of these in its status_msg (docs/protocol.md §1.1: "names the field"). */
  mentions?: string[];
  note: string;
}

type Choice = 'valid' | 'invalid' | 'odd';

// ---------------------------------------------------------------- send_msg

interface SendPlan {
  choice: Choice;
  relationKind: 'own' | 'foreign';
  relationIndex: number;
  content: string;
  oddContent: unknown;
  extend: 'absent' | 'null' | 'remind';
  remind: { idx: number; account_id: number }[];
  rly: 'absent' | 'zero' | 'same' | 'other' | 'old' | 'future';
  rlyIndex: number;
  rlyOld: number;
  rlyFuture: number;
  clientId: 'absent' | 'fresh' | 'repeat';
  dropField: 'relation_id' | 'msg_content';
  extras: { key: string; value: unknown }[];
}

const sendBad: fc.Arbitrary<{ field: string; value: unknown }> = fc.oneof(
  fc.record({ field: fc.constant('relation_id'), value: fc.oneof(notAnId, wrongType('integer')) }),
  fc.record({
    field: fc.constant('msg_content'),
    value: fc.oneof(fc.constant(''), unstorableString, overlongString(8000), wrongType('string')),
  }),
  fc.record({
    field: fc.constant('client_msg_id'),
    value: fc.oneof(
      fc.constant(''),
      fc.constant('k'.repeat(65)),
      unstorableString,
      wrongType('string'),
    ),
  }),
  fc.record({
    field: fc.constant('rly_msg_id'),
    value: fc.oneof(
      fc.constantFrom(-1, 1.5, MAX_ID + 1, new RawJson('1e400'), new RawJson('-1')),
      wrongType('integer').filter((v) => v !== null),
    ),
  }),
  fc.record({
    field: fc.constant('msg_extend'),
    value: fc.oneof(
      fc.constantFrom(
        {},
        { remind: 'x' },
        { remind: [{ idx: 0, account_id: 1 }] },
        { remind: [{ idx: 1 }] },
        [],
        'x',
        5,
      ),
      fc.constant({
        remind: Array.from({ length: 101 }, (_, i) => ({ idx: i + 1, account_id: 1 })),
      }),
      fc.constant({ remind: [{ idx: 1, account_id: 1.5 }] }),
    ),
  }),
);

const sendPlan: fc.Arbitrary<SendPlan> = fc.record({
  choice: fc.oneof(
    { weight: 5, arbitrary: fc.constant<Choice>('valid') },
    { weight: 5, arbitrary: fc.constant<Choice>('invalid') },
    { weight: 1, arbitrary: fc.constant<Choice>('odd') },
  ),
  relationKind: fc.oneof(
    { weight: 5, arbitrary: fc.constant<'own'>('own') },
    fc.constant<'foreign'>('foreign'),
  ),
  relationIndex: fc.nat(),
  content: fc.oneof(plainText, oddString),
  oddContent: fc.oneof(
    deepNesting,
    fc.jsonValue({ maxDepth: 3 }),
    oddString,
    fc.constant(new RawJson('"\\u0000"')),
  ),
  extend: fc.constantFrom('absent', 'absent', 'null', 'remind'),
  remind: fc.array(
    fc.record({
      idx: fc.integer({ min: 1, max: 1000 }),
      account_id: fc.integer({ min: 1, max: MAX_ID }),
    }),
    {
      maxLength: 5,
    },
  ),
  rly: fc.constantFrom('absent', 'absent', 'absent', 'zero', 'same', 'other', 'old', 'future'),
  rlyIndex: fc.nat(),
  rlyOld: fc.integer({ min: 1, max: 1_000_000_000 }),
  rlyFuture: fc.integer({ min: 2 ** 52, max: MAX_ID }),
  clientId: fc.constantFrom('absent', 'fresh', 'fresh', 'repeat'),
  dropField: fc.constantFrom('relation_id', 'msg_content'),
  extras: fc.array(
    fc.record({
      key: fc.oneof(fc.constantFrom(...POLLUTING_KEYS), fc.string({ maxLength: 8 })),
      value: fc.oneof(pollutingValue, fc.jsonValue({ maxDepth: 2 })),
    }),
    { maxLength: 2 },
  ),
});

function sendData(
  p: SendPlan & { bad: { field: string; value: unknown }; dropInstead: boolean },
  world: WsWorld,
  account: 'a' | 'b' | null,
  state: WsState,
  frameId: number,
): DataPlan {
  const mine = world.accounts[account ?? 'a'];
  const relation =
    p.relationKind === 'own'
      ? mine.relations[p.relationIndex % mine.relations.length]
      : world.foreignRelations[p.relationIndex % world.foreignRelations.length];
  const data: Record<string, unknown> = { relation_id: relation, msg_content: p.content };
  const notes: string[] = [`relation ${p.relationKind}`];
  let codes: number[];
  let sameMsgId: number | undefined;
  let remember: DataPlan['remember'];
  const mineAcked = state.acked.filter((a) => a.account === (account ?? 'a'));
  if (p.extend === 'null') data.msg_extend = null;
  if (p.extend === 'remind') data.msg_extend = { remind: p.remind };
  let rlyCodes: number[] = [0];
  switch (p.rly) {
    case 'zero':
      data.rly_msg_id = 0;
      break;
    case 'same':
    case 'other': {
      const pool = mineAcked.filter((a) =>
        p.rly === 'same' ? a.relation === relation : a.relation !== relation,
      );
      if (pool.length) {
        data.rly_msg_id = pool[p.rlyIndex % pool.length].msgId;
        // A message acked a moment ago may not be stored yet: it is looked for about a second.
        rlyCodes =
          p.rly === 'same'
            ? [0, ErrorCode.MessageNotFound]
            : [ErrorCode.ReplyTargetElsewhere, ErrorCode.MessageNotFound];
      }
      break;
    }
    case 'old':
      data.rly_msg_id = p.rlyOld;
      rlyCodes = [ErrorCode.MessageNotFound];
      break;
    case 'future':
      data.rly_msg_id = p.rlyFuture;
      rlyCodes = [ErrorCode.MessageNotFound];
      break;
  }
  if (data.rly_msg_id !== undefined) notes.push(`rly ${p.rly}`);
  const repeatable = mineAcked.filter(
    (a) => a.clientMsgId !== undefined && a.relation === relation,
  );
  if (p.clientId === 'fresh') data.client_msg_id = `fz-${account}-${frameId}`;
  if (p.clientId === 'repeat' && repeatable.length && p.relationKind === 'own') {
    const original = repeatable[p.rlyIndex % repeatable.length];
    data.client_msg_id = original.clientMsgId;
    sameMsgId = original.msgId;
    notes.push('resent client_msg_id');
  }
  for (const e of p.extras) withKey(data, e.key, e.value);
  if (p.extras.length)
    notes.push(`extra keys ${p.extras.map((e) => JSON.stringify(e.key)).join(',')}`);

  if (p.choice === 'invalid') {
    if (p.dropInstead) {
      delete data[p.dropField];
      notes.push(`${p.dropField} missing`);
    } else {
      data[p.bad.field] = p.bad.value;
      notes.push(`${p.bad.field} bad: ${jsonText(p.bad.value).slice(0, 40)}`);
    }
    // Unless a polluting extra key was the field itself, the frame is refused.
    return {
      data: { present: true, value: data },
      codes: [ErrorCode.InvalidParams],
      mentions: [p.dropInstead ? p.dropField : p.bad.field],
      note: notes.join('; '),
    };
  }
  if (p.choice === 'odd') {
    data.msg_content = p.oddContent;
    notes.push('odd msg_content');
    codes = [
      0,
      ErrorCode.InvalidParams,
      ErrorCode.PermissionDenied,
      ErrorCode.MessageNotFound,
      ErrorCode.ReplyTargetElsewhere,
      ErrorCode.TooManyRequests,
    ];
    return { data: { present: true, value: data }, codes, note: notes.join('; ') };
  }
  if (p.relationKind === 'foreign') {
    codes = [ErrorCode.PermissionDenied];
  } else if (sameMsgId !== undefined) {
    codes = [0];
  } else {
    codes = rlyCodes;
    if (codes.includes(0)) {
      remember = {
        relation,
        clientMsgId: typeof data.client_msg_id === 'string' ? data.client_msg_id : undefined,
        account: account ?? 'a',
      };
    }
  }
  // The pipeline gate refuses any send while the backlog is too long (1004, retry hint).
  codes = [...codes, ErrorCode.TooManyRequests];
  return {
    data: { present: true, value: data },
    codes,
    sameMsgId,
    remember,
    note: notes.join('; '),
  };
}

// ---------------------------------------------------------------- read_msg

const readPlan = fc.record({
  choice: fc.oneof(
    { weight: 4, arbitrary: fc.constant<Choice>('valid') },
    { weight: 4, arbitrary: fc.constant<Choice>('invalid') },
    { weight: 1, arbitrary: fc.constant<Choice>('odd') },
  ),
  relationKind: fc.oneof(
    { weight: 5, arbitrary: fc.constant<'own'>('own') },
    fc.constant<'foreign'>('foreign'),
  ),
  relationIndex: fc.nat(),
  ids: fc.array(fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.constant(-1)), {
    minLength: 1,
    maxLength: 20,
  }),
  bad: fc.oneof(
    fc.record({
      field: fc.constant('relation_id'),
      value: fc.oneof(notAnId, wrongType('integer')),
    }),
    fc.record({
      field: fc.constant('msg_ids'),
      value: fc.oneof(
        fc.constant([]),
        fc.constant(Array.from({ length: 21 }, (_, i) => i + 1)),
        fc.array(notAnId, { minLength: 1, maxLength: 3 }),
        wrongType('array'),
        fc.constant([MAX_ID]),
        fc.constant([MAX_ID - 5, 1]),
      ),
    }),
    fc.record({ field: fc.constant('drop'), value: fc.constantFrom('relation_id', 'msg_ids') }),
  ),
  oddIds: fc.array(fc.integer({ min: 1, max: MAX_ID }), { minLength: 1, maxLength: 20 }),
});

function readData(
  p: typeof readPlan extends fc.Arbitrary<infer T> ? T : never,
  world: WsWorld,
  account: 'a' | 'b' | null,
  state: WsState,
): DataPlan {
  const mine = world.accounts[account ?? 'a'];
  const relation =
    p.relationKind === 'own'
      ? mine.relations[p.relationIndex % mine.relations.length]
      : world.foreignRelations[p.relationIndex % world.foreignRelations.length];
  const acked = state.acked.filter((a) => a.relation === relation);
  // Old ids (small: their time is at the id epoch) or ids acked in this relation.
  const ids = p.ids.map((n, i) =>
    n === -1 && acked.length ? acked[i % acked.length].msgId : Math.abs(n),
  );
  const data: Record<string, unknown> = { relation_id: relation, msg_ids: ids };
  if (p.choice === 'invalid') {
    if (p.bad.field === 'drop') delete data[p.bad.value as string];
    else data[p.bad.field] = p.bad.value;
    return {
      data: { present: true, value: data },
      codes: [ErrorCode.InvalidParams],
      mentions: [p.bad.field === 'drop' ? (p.bad.value as string) : p.bad.field],
      note: `read_msg ${p.bad.field} bad`,
    };
  }
  if (p.choice === 'odd') {
    // Random ids are mostly in the future (refused) and sometimes in the past (taken).
    data.msg_ids = p.oddIds;
    return {
      data: { present: true, value: data },
      codes:
        p.relationKind === 'own'
          ? [0, ErrorCode.InvalidParams]
          : [ErrorCode.PermissionDenied, ErrorCode.InvalidParams],
      note: 'read_msg random ids',
    };
  }
  return {
    data: { present: true, value: data },
    codes: p.relationKind === 'own' ? [0] : [ErrorCode.PermissionDenied],
    note: `read_msg ${p.relationKind}`,
  };
}

// ---------------------------------------------------------------- auth, ping

const authPlan = fc.record({
  choice: fc.oneof(
    { weight: 3, arbitrary: fc.constant<'own' | 'other' | 'bad' | 'invalid'>('bad') },
    { weight: 1, arbitrary: fc.constant<'own' | 'other' | 'bad' | 'invalid'>('own') },
    { weight: 1, arbitrary: fc.constant<'own' | 'other' | 'bad' | 'invalid'>('other') },
    { weight: 3, arbitrary: fc.constant<'own' | 'other' | 'bad' | 'invalid'>('invalid') },
  ),
  badIndex: fc.nat(),
  invalid: fc.oneof(
    fc.constant({ present: false, value: undefined }),
    fc
      .oneof(
        fc.constant({}),
        fc.constantFrom(
          { token: '' },
          { token: null },
          { token: 5 },
          { token: ['x'] },
          { token: {} },
        ),
        unstorableString.map((t) => ({ token: t })),
        fc.constant({ token: 't'.repeat(4097) }),
        wrongType('object'),
        fc.constant(null),
      )
      .map((value) => ({ present: true, value })),
  ),
  extras: fc.array(fc.record({ key: fc.constantFrom(...POLLUTING_KEYS), value: pollutingValue }), {
    maxLength: 1,
  }),
});

function authData(
  p: typeof authPlan extends fc.Arbitrary<infer T> ? T : never,
  world: WsWorld,
  account: 'a' | 'b' | null,
): DataPlan {
  const withExtras = (token: string) => {
    const d: Record<string, unknown> = { token };
    for (const e of p.extras) withKey(d, e.key, e.value);
    return d;
  };
  // The anonymous socket never gets a good account token: it stays anonymous.
  const choice =
    account === null && (p.choice === 'own' || p.choice === 'other') ? 'bad' : p.choice;
  switch (choice) {
    case 'own':
      return {
        data: { present: true, value: withExtras(world.accounts[account!].token) },
        codes: [0],
        note: 'auth own token',
      };
    case 'other':
      return {
        data: {
          present: true,
          value: withExtras(world.accounts[account === 'a' ? 'b' : 'a'].token),
        },
        codes: [ErrorCode.AuthFailed],
        note: 'auth token of another account',
      };
    case 'bad': {
      const bad = world.badTokens[p.badIndex % world.badTokens.length];
      return {
        data: { present: true, value: withExtras(bad.token) },
        codes: [bad.code],
        note: `auth ${bad.name}`,
      };
    }
    default:
      return {
        data: p.invalid,
        codes: [ErrorCode.InvalidParams],
        mentions: ['token', 'data'],
        note: 'auth data invalid',
      };
  }
}

const pingPlan = fc.oneof(
  fc
    .constantFrom(
      { present: false, value: undefined },
      { present: true, value: null },
      { present: true, value: {} },
    )
    .map((d) => ({ d, ok: true })),
  fc
    .dictionary(
      fc.oneof(fc.constantFrom(...POLLUTING_KEYS), fc.string({ maxLength: 6 })),
      fc.jsonValue({ maxDepth: 1 }),
      { maxKeys: 3 },
    )
    .map((o) => {
      const d: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) withKey(d, k, v);
      return { d: { present: true, value: d }, ok: true };
    }),
  fc
    .oneof(
      fc.constantFrom([], 'x', 5, true, [1]),
      jsonNotObject.map((t) => new RawJson(t)),
    )
    .filter((v) => !(v instanceof RawJson && v.text === 'null'))
    .map((v) => ({ d: { present: true, value: v }, ok: false })),
);

// ---------------------------------------------------------------- frames

function envelope(parts: [string, string][]): string {
  return `{${parts.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/** Frames of every kind, valid or mutated, each with the answer it must get. */
export function wsFrames(world: WsWorld): fc.Arbitrary<FramePlan> {
  const request = fc.record({
    event: fc.oneof(
      { weight: 10, arbitrary: fc.constant('send_msg') },
      { weight: 4, arbitrary: fc.constant('read_msg') },
      { weight: 3, arbitrary: fc.constant('auth') },
      { weight: 3, arbitrary: fc.constant('ping') },
      { weight: 2, arbitrary: fc.constant('unknown') },
    ),
    unknown: unknownEvent,
    idStyle,
    send: sendPlan,
    sendBad,
    dropInstead: fc.boolean(),
    read: readPlan,
    auth: authPlan,
    ping: pingPlan,
    extraTop: fc.array(
      fc.record({
        key: fc.oneof(fc.constantFrom(...POLLUTING_KEYS), fc.string({ maxLength: 6 })),
        value: fc.oneof(pollutingValue, fc.jsonValue({ maxDepth: 1 })),
      }),
      { maxLength: 2 },
    ),
    shuffle: fc.boolean(),
  });

  const requestFrame = request.map((r): FramePlan => ({
    kind: r.event === 'unknown' ? 'ws:unknown-event' : `ws:${r.event}`,
    render(id, state, socket) {
      const account = accountOf(socket);
      let plan: DataPlan;
      let eventValue: unknown = r.event;
      switch (r.event) {
        case 'send_msg':
          plan = sendData(
            { ...r.send, bad: r.sendBad, dropInstead: r.dropInstead },
            world,
            account,
            state,
            id,
          );
          break;
        case 'read_msg':
          plan = readData(r.read, world, account, state);
          break;
        case 'auth':
          plan = authData(r.auth, world, account);
          break;
        case 'ping':
          plan = {
            data: r.ping.d,
            codes: r.ping.ok ? [0] : [ErrorCode.InvalidParams],
            mentions: ['data'],
            note: `ping ${r.ping.ok ? 'ok' : 'bad data'}`,
          };
          break;
        default:
          eventValue = r.unknown;
          plan = {
            data: r.ping.d,
            codes: [ErrorCode.InvalidParams],
            mentions: ['event'],
            note: `event ${jsonText(r.unknown).slice(0, 30)}`,
          };
      }
      let codes = plan.codes;
      // Checks in the gateway's order: unknown event, then the authentication gate.
      if (r.event !== 'unknown' && account === null && r.event !== 'auth' && r.event !== 'ping') {
        codes = [ErrorCode.AuthMissing];
      }
      const parts: [string, string][] = [
        ['id', idText(id, r.idStyle)],
        ['event', jsonText(eventValue)],
      ];
      if (plan.data.present) parts.push(['data', jsonText(plan.data.value)]);
      for (const e of r.extraTop) {
        if (e.key === 'id' || e.key === 'event' || e.key === 'data') continue;
        parts.push([e.key, jsonText(e.value)]);
      }
      if (r.shuffle) parts.reverse();
      const remember = codes.includes(0) ? plan.remember : undefined;
      return {
        payload: envelope(parts),
        binary: false,
        expect: {
          type: 'reply',
          id,
          event: typeof eventValue === 'string' ? eventValue : 'not a string',
          codes,
          sameMsgId: plan.sameMsgId,
          remember,
          mentions: plan.mentions,
        },
        note: plan.note,
      };
    },
  }));

  const notRequest = fc
    .record({
      what: fc.constantFrom('bad-id', 'bad-id', 'not-json', 'not-object', 'binary', 'proto-id'),
      badId: badEnvelopeId,
      notJson: notJsonText,
      notObject: jsonNotObject,
      bytes: fc.uint8Array({ maxLength: 64 }),
      data: fc.jsonValue({ maxDepth: 2 }),
    })
    .map((r): FramePlan => ({
      kind: `ws:not-a-request`,
      render() {
        let payload: string | Buffer;
        let binary = false;
        switch (r.what) {
          case 'bad-id': {
            const parts: [string, string][] = [['event', '"ping"']];
            if (r.badId.present) parts.push(['id', jsonText(r.badId.value)]);
            parts.push(['data', jsonText(r.data)]);
            payload = envelope(parts);
            break;
          }
          case 'proto-id':
            // The id hidden behind __proto__ is no id of the frame.
            payload = '{"__proto__":{"id":7},"event":"ping"}';
            break;
          case 'not-json':
            payload = r.notJson;
            break;
          case 'not-object':
            payload = r.notObject;
            break;
          default:
            payload = Buffer.from(r.bytes);
            binary = true;
        }
        return { payload, binary, expect: { type: 'error-push' }, note: r.what };
      },
    }));

  return fc.oneof({ weight: 85, arbitrary: requestFrame }, { weight: 15, arbitrary: notRequest });
}
