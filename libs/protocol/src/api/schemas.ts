import { z } from 'zod';
import { email, gender, paging, queryId, text } from './fields';

/** The limits of docs/api.md §1.5 that shape request validation (from config `Rule.*`, `Page.*`). */
export interface InputLimits {
  passwordLenMin: number;
  passwordLenMax: number;
  usernameLenMin: number;
  usernameLenMax: number;
  codeLength: number;
  defaultPageSize: number;
  maxPageSize: number;
}

/** Timestamps in replies: RFC 3339, milliseconds, UTC (docs/api.md §1.2). */
const time = z.string().meta({ format: 'date-time', example: '2024-05-01T08:30:00.123Z' });
const outId = z.number().int().meta({ example: 42 });

export const TokenOut = z.object({ token: z.string(), expired_at: time }).meta({ id: 'Token' });
export const UserInfoOut = z
  .object({ id: outId, email: z.string(), create_at: time })
  .meta({ id: 'UserInfo' });
export const AccountInfoOut = z
  .object({ account_id: outId, name: z.string(), avatar: z.string(), gender })
  .meta({ id: 'AccountInfo' });

/**
 * Request and reply schemas of the user, email and account areas (docs/api.md §5–7), built for
 * the configured limits. The api validates with them and generates its OpenAPI document
 * from them, so the two cannot drift.
 */
export function userAccountSchemas(l: InputLimits) {
  const password = text(l.passwordLenMin, l.passwordLenMax);
  const code = z
    .string({ error: 'is required' })
    .regex(new RegExp(`^\\d{${l.codeLength}}$`), { error: `must be ${l.codeLength} digits` });
  const accountName = text(l.usernameLenMin, l.usernameLenMax);
  const page = paging(l.defaultPageSize, l.maxPageSize);

  return {
    register: {
      body: z.object({ email, password, code }),
      reply: z.object({ user_info: UserInfoOut, user_token: TokenOut }),
    },
    login: {
      body: z.object({ email, password }),
      reply: z.object({ user_info: UserInfoOut, user_token: TokenOut }),
    },
    updateEmail: { body: z.object({ email, code }) },
    updatePassword: { body: z.object({ code, new_password: password }) },
    emailExist: {
      query: z.object({ email }),
      reply: z.object({ exist: z.boolean() }),
    },
    emailSend: { body: z.object({ email }) },
    accountCreate: {
      body: z.object({ name: accountName, gender, signature: text(1, 100) }),
      reply: z.object({ id: outId, name: z.string(), avatar: z.string(), account_token: TokenOut }),
    },
    accountToken: {
      query: z.object({ account_id: queryId }),
      reply: z.object({ account_token: TokenOut }),
    },
    // Query string and body merged (docs/api.md §1.3).
    accountDelete: { input: z.object({ account_id: queryId }) },
    accountUpdate: { body: z.object({ name: accountName, gender, signature: text(1, 200) }) },
    accountInfo: {
      query: z.object({ account_id: queryId }),
      reply: z.object({
        id: outId,
        name: z.string(),
        avatar: z.string(),
        gender,
        signature: z.string(),
        create_at: time,
        relation_id: z.number().int(),
      }),
    },
    accountsOfUser: {
      reply: z.object({ list: z.array(AccountInfoOut), total: z.number().int() }),
    },
    accountsByName: {
      query: page.extend({ name: accountName }),
      reply: z.object({
        list: z.array(AccountInfoOut.extend({ relation_id: z.number().int() })),
        total: z.number().int(),
      }),
    },
  };
}

export type UserAccountSchemas = ReturnType<typeof userAccountSchemas>;
