import type { AccountRecord, UserRecord } from '@chat/db';

/** docs/api.md §1.2: RFC 3339 with milliseconds, UTC. */
export const iso = (d: Date): string => d.toISOString();

/** UserInfo of docs/api.md §3. */
export function userInfo(u: UserRecord) {
  return { id: u.id, email: u.email, create_at: iso(u.createAt) };
}

/** AccountInfo of docs/api.md §3. */
export function accountInfo(a: AccountRecord) {
  return { account_id: a.id, name: a.name, avatar: a.avatar, gender: a.gender };
}
