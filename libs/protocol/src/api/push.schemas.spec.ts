import { pushSchemas } from './push.schemas';

describe('push device schemas (docs/push-notifications.md)', () => {
  const s = pushSchemas();

  it('refuses a token PostgreSQL cannot store (U+0000), when registering and unregistering', () => {
    const nul = 'abc\u0000def';
    const register = s.register.body.safeParse({ platform: 'fcm', token: nul });
    expect(register.success).toBe(false);
    expect(register.error?.issues.map((i) => i.message)).toContain(
      'must not contain the character U+0000',
    );
    expect(s.unregister.query.safeParse({ platform: 'fcm', token: nul }).success).toBe(false);
    expect(
      s.unregister.query.safeParse({ platform: 'apns', token: `\u0000${'a'.repeat(64)}` }).success,
    ).toBe(false);
  });

  it('takes the tokens of each platform, trimmed; an APNs token in lower case', () => {
    expect(s.register.body.parse({ platform: 'fcm', token: ' tok:en ' })).toEqual({
      platform: 'fcm',
      token: 'tok:en',
    });
    expect(s.register.body.parse({ platform: 'apns', token: 'AB'.repeat(32) })).toEqual({
      platform: 'apns',
      token: 'ab'.repeat(32),
    });
    expect(
      s.unregister.query.parse({ platform: 'webpush', token: 'https://push.example/x' }),
    ).toEqual({
      platform: 'webpush',
      token: 'https://push.example/x',
    });
  });

  it('takes the settings as a boolean, nothing else', () => {
    expect(s.updateSettings.body.parse({ mentions_break_dnd: false })).toEqual({
      mentions_break_dnd: false,
    });
    for (const bad of [{}, { mentions_break_dnd: 'false' }, { mentions_break_dnd: null }]) {
      const r = s.updateSettings.body.safeParse(bad);
      expect(r.success).toBe(false);
    }
    expect(s.updateSettings.body.safeParse({}).error?.issues.map((i) => i.message)).toEqual([
      'mentions_break_dnd is required (true or false)',
    ]);
  });
});
