import type { TargetStack } from './target';
import { ok, type ApiClient } from './http';
import { createAccount, registerUser } from './actors';

/** One person: a user with one account, its tokens, and a few social actions over REST. */
export interface Session {
  name: string;
  api: ApiClient;
  userToken: string;
  accountToken: string;
  accountId: number;
  /** Applies to `other` and has it accept; returns the friendship's relation id. */
  befriend(other: Session): Promise<number>;
  /** Creates a group with these friends in it; returns its relation id. */
  createGroup(name: string, members: Session[]): Promise<number>;
}

/** Registers with a code received by mail, creates one account, and returns the session. */
export async function openSession(
  stack: TargetStack,
  email: string,
  name: string,
): Promise<Session> {
  const api = stack.api;
  const user = await registerUser(stack, email);
  const acc = await createAccount(api, user.token, name);
  const session: Session = {
    name,
    api,
    userToken: user.token,
    accountToken: acc.token,
    accountId: acc.id,
    async befriend(other) {
      ok(
        await api.post('/api/application/create', {
          token: session.accountToken,
          body: { account_id: other.accountId, apply_msg: `hi ${other.name}` },
        }),
      );
      ok(
        await api.put('/api/application/accept', {
          token: other.accountToken,
          body: { account_id: session.accountId },
        }),
      );
      const info = ok(
        await api.get('/api/account/info', {
          token: session.accountToken,
          query: { account_id: other.accountId },
        }),
      );
      return info.relation_id as number;
    },
    async createGroup(groupName, members) {
      const g = ok(
        await api.post('/api/group/create', {
          token: session.accountToken,
          body: { name: groupName, description: `${groupName} group` },
        }),
      );
      ok(
        await api.post('/api/group/invite', {
          token: session.accountToken,
          body: { relation_id: g.relation_id, account_id: members.map((m) => m.accountId) },
        }),
      );
      return g.relation_id as number;
    },
  };
  return session;
}
