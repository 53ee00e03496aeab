import { ErrorCode } from '@chat/protocol';
import { ok, type ApiClient } from './http';
import type { TargetStack } from './target';

/** A registered user: its email and user token. */
export interface UserActor {
  email: string;
  userId: number;
  /** User token (docs/api.md §1.4). */
  token: string;
}

/** One account of a user: its id, name and account token. */
export interface Actor {
  id: number;
  name: string;
  /** Account token (docs/api.md §1.4). */
  token: string;
}

/** Asks the api for a code for `email` and reads it from the mail that arrived (sink or mailbox). */
export async function codeFor(stack: TargetStack, email: string): Promise<string> {
  const before = stack.sink.messages.length;
  // A person told "retry later" (2003 resend interval, 1004 request limit) waits and asks
  // again; a second apart, so the retries do not spend the request limit themselves.
  const retryLater: number[] = [ErrorCode.EmailSendTooOften, ErrorCode.TooManyRequests];
  const deadline = Date.now() + 90_000;
  for (;;) {
    const sent = await stack.api.post('/api/email/send', { body: { email } });
    if (!retryLater.includes(sent.status_code) || Date.now() > deadline) {
      ok(sent);
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  // Only a mail sent after this request: the address may have had codes before.
  const mail = await stack.sink.waitFor(
    (m) =>
      stack.sink.messages.indexOf(m) >= before &&
      m.to.some((t: string) => t.toLowerCase() === email.toLowerCase()),
  );
  const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in mail: ${mail.text}`);
  return code;
}

/** Registers `email` with the code that arrived by mail, as a person would. */
export async function registerUser(
  stack: TargetStack,
  email: string,
  password = 'secret-1',
): Promise<UserActor> {
  const code = await codeFor(stack, email);
  const reg = ok(await stack.api.post('/api/user/register', { body: { email, password, code } }));
  return { email, userId: reg.user_info.id, token: reg.user_token.token };
}

/** Creates an account of the user behind `userToken`. */
export async function createAccount(
  api: ApiClient,
  userToken: string,
  name: string,
): Promise<Actor> {
  const acc = ok(
    await api.post('/api/account/create', {
      token: userToken,
      body: { name, gender: '未知', signature: `${name} here` },
    }),
  );
  return { id: acc.id, name, token: acc.account_token.token };
}

/** `a` applies to `b` and `b` accepts; returns the friendship's relation id. */
export async function makeFriends(api: ApiClient, a: Actor, b: Actor): Promise<number> {
  ok(
    await api.post('/api/application/create', {
      token: a.token,
      body: { account_id: b.id, apply_msg: `hi ${b.name}` },
    }),
  );
  ok(await api.put('/api/application/accept', { token: b.token, body: { account_id: a.id } }));
  const info = ok(
    await api.get('/api/account/info', { token: a.token, query: { account_id: b.id } }),
  );
  return info.relation_id as number;
}
