import { renderVerificationEmail } from './verification-email';

describe('renderVerificationEmail', () => {
  const job = { kind: 'verification_code', to: 'ann@example.com', code: '042917' } as const;

  it('puts the code and its validity in minutes in the text and the HTML', () => {
    const mail = renderVerificationEmail({ ...job, validForMs: 3_600_000 }, 'Chat');
    expect(mail.subject).toBe('Your Chat verification code');
    expect(mail.text).toContain('042917');
    expect(mail.text).toContain('valid for 60 minutes');
    expect(mail.html).toContain('042917');
    expect(mail.html).toContain('valid for 60 minutes');
  });

  it('says "1 minute" for validity under a minute and a half, never zero', () => {
    expect(renderVerificationEmail({ ...job, validForMs: 20_000 }, 'Chat').text).toContain(
      'valid for 1 minute and',
    );
  });

  it('escapes the app name in the HTML', () => {
    const mail = renderVerificationEmail({ ...job, validForMs: 60_000 }, '<b>Chat</b>');
    expect(mail.html).toContain('&lt;b&gt;Chat&lt;/b&gt;');
    expect(mail.html).not.toContain('<b>Chat</b>');
  });
});
