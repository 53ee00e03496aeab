/**
 * The accounts and conversations of the baseline servers, which have no REST api and no
 * database of accounts: an account is a number, its token is `acct:<id>`, and a
 * conversation is a run of consecutive accounts whose relation id says which
 * (`first × RELATION_SPAN + size`). A pair of friends 7 and 8 is relation 7002; a group of
 * five from account 11 is 11005. The loadgen builds its synthetic population the same way
 * (setup/synthetic-population.ts), so both sides agree without any set-up traffic.
 */
export const RELATION_SPAN = 1000;

export function tokenOf(accountId: number): string {
  return `acct:${accountId}`;
}

/** The account a token names, or undefined when it is not a baseline token. */
export function accountOfToken(token: unknown): number | undefined {
  if (typeof token !== 'string') return undefined;
  const m = /^acct:([1-9]\d{0,14})$/.exec(token);
  return m ? Number(m[1]) : undefined;
}

export function relationIdOf(firstAccount: number, size: number): number {
  if (size < 1 || size >= RELATION_SPAN) throw new RangeError(`relation size ${size}`);
  return firstAccount * RELATION_SPAN + size;
}

/** The accounts of a relation id, or undefined when the id names none. */
export function membersOf(relationId: unknown): number[] | undefined {
  if (typeof relationId !== 'number' || !Number.isSafeInteger(relationId)) return undefined;
  const size = relationId % RELATION_SPAN;
  const first = Math.floor(relationId / RELATION_SPAN);
  if (size < 1 || first < 1) return undefined;
  return Array.from({ length: size }, (_, i) => first + i);
}

/**
 * The `msg_info` a baseline pushes for a new text message: the chat protocol's shape, so the
 * load client reads the baselines' pushes exactly as it reads ours.
 */
export function textMsgInfo(
  id: number,
  accountId: number,
  relationId: unknown,
  content: string,
  createAt: string,
) {
  return {
    id,
    notify_type: 'common',
    msg_type: 'text',
    msg_content: content,
    msg_extend: null,
    file_id: 0,
    account_id: accountId,
    relation_id: relationId,
    create_at: createAt,
    is_revoke: false,
    is_top: false,
    is_pin: false,
    pin_time: createAt,
    read_ids: [],
    reply_count: 0,
    rly_msg: null,
  };
}
