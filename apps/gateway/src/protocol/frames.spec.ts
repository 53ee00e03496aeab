import { ErrorCode } from '@chat/protocol';
import { errorPushText, isClientEvent, parseFrame, replyText, validateData } from './frames';

describe('parseFrame', () => {
  it('reads the envelope of a request', () => {
    expect(parseFrame('{"id":17,"event":"send_msg","data":{"a":1}}')).toEqual({
      ok: true,
      id: 17,
      event: 'send_msg',
      data: { a: 1 },
    });
    expect(parseFrame('{"id":0,"event":"ping"}')).toEqual({
      ok: true,
      id: 0,
      event: 'ping',
      data: undefined,
    });
    expect(parseFrame(`{"id":${Number.MAX_SAFE_INTEGER},"event":"ping"}`)).toMatchObject({
      ok: true,
    });
  });

  it.each([
    ['a binary frame', null, 'binary'],
    ['text that is not JSON', '{"id":1,', 'not valid JSON'],
    ['a JSON array', '[1,2]', 'not a JSON object'],
    ['a JSON string', '"ping"', 'not a JSON object'],
    ['JSON null', 'null', 'not a JSON object'],
    ['a missing id', '{"event":"ping"}', 'id:'],
    ['a negative id', '{"id":-1,"event":"ping"}', 'id:'],
    ['a fractional id', '{"id":1.5,"event":"ping"}', 'id:'],
    ['an id given as a string', '{"id":"3","event":"ping"}', 'id:'],
    ['an id past 2^53 - 1', '{"id":9007199254740992,"event":"ping"}', 'id:'],
  ])('refuses %s, saying why', (_what, text, reason) => {
    const parsed = parseFrame(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok === false && parsed.reason).toContain(reason);
  });

  it('leaves an unknown or missing event to the reply, which has an id to answer', () => {
    expect(parseFrame('{"id":4,"event":"dance"}')).toMatchObject({
      ok: true,
      id: 4,
      event: 'dance',
    });
    expect(parseFrame('{"id":5}')).toMatchObject({ ok: true, id: 5, event: '' });
    // Not a string: never converted into one (`["ping"]` is not "ping"; String() of an
    // object whose toString is no function throws).
    for (const event of ['["ping"]', '{"toString":1}', '5', 'null', 'true', '{}']) {
      expect(parseFrame(`{"id":6,"event":${event}}`)).toMatchObject({
        ok: true,
        id: 6,
        event: null,
      });
    }
    expect(isClientEvent(null)).toBe(false);
    expect(isClientEvent('dance')).toBe(false);
    expect(isClientEvent('')).toBe(false);
    expect(['auth', 'send_msg', 'read_msg', 'ping'].every(isClientEvent)).toBe(true);
  });
});

describe('validateData', () => {
  it('accepts a valid send_msg and names each failing field of a bad one', () => {
    expect(validateData('send_msg', { relation_id: 3, msg_content: 'hi' })).toEqual({
      ok: true,
      data: { relation_id: 3, msg_content: 'hi' },
    });
    const bad = validateData('send_msg', { relation_id: 0, msg_content: '' });
    expect(bad.ok).toBe(false);
    const detail = bad.ok ? '' : bad.detail;
    expect(detail).toContain('relation_id:');
    expect(detail).toContain('msg_content: must not be empty');
  });

  it('counts message length in characters, not bytes', () => {
    expect(validateData('send_msg', { relation_id: 1, msg_content: '好'.repeat(1000) }).ok).toBe(
      true,
    );
    const long = validateData('send_msg', { relation_id: 1, msg_content: '好'.repeat(1001) });
    expect(long.ok === false && long.detail).toContain('msg_content: must be at most 1000');
  });

  it('checks client_msg_id, msg_extend and rly_msg_id of send_msg', () => {
    const base = { relation_id: 1, msg_content: 'x' };
    expect(validateData('send_msg', { ...base, client_msg_id: 'k'.repeat(65) }).ok).toBe(false);
    expect(validateData('send_msg', { ...base, rly_msg_id: -1 }).ok).toBe(false);
    expect(
      validateData('send_msg', { ...base, msg_extend: { remind: [{ idx: 0, account_id: 1 }] } }).ok,
    ).toBe(false);
    expect(
      validateData('send_msg', {
        ...base,
        rly_msg_id: 0,
        client_msg_id: 'k1',
        msg_extend: { remind: [{ idx: 1, account_id: 2 }] },
      }).ok,
    ).toBe(true);
  });

  it('wants 1 to 20 ids in read_msg', () => {
    expect(validateData('read_msg', { relation_id: 1, msg_ids: [5] }).ok).toBe(true);
    const none = validateData('read_msg', { relation_id: 1, msg_ids: [] });
    expect(none.ok === false && none.detail).toContain('msg_ids: needs 1 to 20 ids');
    const many = validateData('read_msg', {
      relation_id: 1,
      msg_ids: Array.from({ length: 21 }, (_, i) => i + 1),
    });
    expect(many.ok).toBe(false);
  });

  it('names data itself when it is not an object', () => {
    const result = validateData('auth', 'token');
    expect(result.ok === false && result.detail).toMatch(/^data: /);
    expect(validateData('ping', undefined).ok).toBe(true);
    expect(validateData('ping', {}).ok).toBe(true);
  });
});

describe('reply and push texts', () => {
  it('puts data only on a successful reply', () => {
    expect(JSON.parse(replyText(3, ErrorCode.Success, undefined, { a: 1 }))).toEqual({
      id: 3,
      status_code: 0,
      status_msg: 'ok',
      data: { a: 1 },
    });
    expect(JSON.parse(replyText(3, ErrorCode.PermissionDenied, undefined, { a: 1 }))).toEqual({
      id: 3,
      status_code: 2009,
      status_msg: 'permission denied',
    });
  });

  it('lets a 1004 reply carry its retry hint', () => {
    expect(
      JSON.parse(replyText(4, ErrorCode.TooManyRequests, 'busy', { retry_after_ms: 250 })),
    ).toEqual({ id: 4, status_code: 1004, status_msg: 'busy', data: { retry_after_ms: 250 } });
  });

  it('builds error pushes without an id', () => {
    expect(JSON.parse(errorPushText(ErrorCode.TokenExpired))).toEqual({
      event: 'error',
      data: { status_code: 2013, status_msg: 'token expired' },
    });
  });
});
