import type { MsgInfoWithRly } from '@chat/protocol';
import { ROUTES, type AreaClient, type RouteInfo, type RouteTable, type Upload } from './endpoints';
import { CLIENT_SIDE_CODES, ChatError } from './errors';
import type { Envelope, List, SettingFriend, SyncedRelation, Token } from './types';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface CallOptions {
  /** User or account token (docs/api.md §1.4), sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Query parameters; `undefined` values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body. */
  body?: unknown;
  /** A multipart form instead of a JSON body (file uploads, docs/api.md §1.3). */
  form?: FormData;
}

export interface ChatApiOptions {
  /** The server's base URL, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** Defaults to the global `fetch` (browsers, Node 18+). */
  fetch?: typeof fetch;
}

/** The form field of the file part of both uploads (docs/api.md §11, §12). */
const UPLOAD_FIELD = 'file';

/**
 * Typed REST calls of docs/api.md. Every call resolves with the envelope's `data` on
 * `status_code` 0 and rejects with a `ChatError` otherwise.
 *
 * One method per route, grouped by area: `api.user.login({ email, password })`,
 * `api.account.token(userToken, { account_id })`, `api.msg.sync(accountToken, { relations })`…
 * A route that needs a token takes it first (a user token for the user routes of docs/api.md
 * §1.4, an account token for the others). The request and reply types are those of the
 * server's zod schemas (`ROUTES` lists the routes).
 */
export class ChatApi {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  /** `GET /api/ping`. */
  readonly misc: AreaClient<'misc'>;
  /** docs/api.md §5: register, log in, change email or password, log out, delete. */
  readonly user: AreaClient<'user'>;
  /** docs/api.md §6: whether an email is registered; send a verification code. */
  readonly email: AreaClient<'email'>;
  /** docs/api.md §7: accounts of a user, account tokens, profiles. */
  readonly account: AreaClient<'account'>;
  /** docs/api.md §8: friend requests. */
  readonly application: AreaClient<'application'>;
  /** docs/api.md §9: conversation settings, friends and the presence setting. */
  readonly setting: AreaClient<'setting'>;
  /** docs/api.md §10: groups. */
  readonly group: AreaClient<'group'>;
  /** docs/api.md §11: history, search, sync, pins, top, revoke, file messages. */
  readonly msg: AreaClient<'msg'>;
  /** docs/api.md §12: files and avatars. */
  readonly file: AreaClient<'file'>;
  /** docs/api.md §13: group notices. */
  readonly notify: AreaClient<'notify'>;
  /** docs/push-notifications.md: devices notified while the account is offline. */
  readonly push: AreaClient<'push'>;

  constructor(options: ChatApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Called unbound, a browser's `fetch` throws "Illegal invocation".
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.misc = this.area('misc');
    this.user = this.area('user');
    this.email = this.area('email');
    this.account = this.area('account');
    this.application = this.area('application');
    this.setting = this.area('setting');
    this.group = this.area('group');
    this.msg = this.area('msg');
    this.file = this.area('file');
    this.notify = this.area('notify');
    this.push = this.area('push');
  }

  /** The methods of one area, made from its routes. */
  private area<A extends keyof RouteTable>(area: A): AreaClient<A> {
    const methods: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const [name, info] of Object.entries(ROUTES[area] as Record<string, RouteInfo>)) {
      methods[name] = (...args) => {
        const token = info.auth === 'none' ? undefined : (args.shift() as string);
        return this.invoke(info, token, args[0]);
      };
    }
    return methods as AreaClient<A>;
  }

  /** Calls one route with its input where the route reads it. */
  private invoke(info: RouteInfo, token: string | undefined, input: unknown): Promise<unknown> {
    const options: CallOptions = { token };
    if (info.input === 'query') options.query = input as CallOptions['query'];
    else if (info.input === 'body') options.body = input ?? {};
    else if (info.input === 'multipart')
      options.form = toForm(input as Upload & Record<string, unknown>);
    return this.request(info.method, info.path, options);
  }

  /** Any endpoint: the whole envelope, whatever its `status_code` (docs/api.md §1.1). */
  async call<T = unknown>(
    method: HttpMethod,
    path: string,
    options: CallOptions = {},
  ): Promise<Envelope<T>> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {};
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    // A form sets its own Content-Type, with the multipart boundary.
    if (options.body !== undefined && !options.form) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetch(url.toString(), {
        method,
        headers,
        body:
          options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      });
    } catch (err) {
      throw new ChatError(
        CLIENT_SIDE_CODES.serverError,
        `${method} ${path}: ${err instanceof Error ? err.message : String(err)}`,
        'http',
      );
    }
    const text = await response.text();
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      envelope = undefined;
    }
    if (!isEnvelope(envelope)) {
      throw new ChatError(
        CLIENT_SIDE_CODES.serverError,
        `${method} ${path}: HTTP ${response.status} without an envelope`,
        'http',
      );
    }
    return envelope as Envelope<T>;
  }

  /** Like `call`, resolving with `data` and rejecting with a `ChatError` on a non-zero code. */
  async request<T = unknown>(
    method: HttpMethod,
    path: string,
    options: CallOptions = {},
  ): Promise<T> {
    const envelope = await this.call<T>(method, path, options);
    if (envelope.status_code !== 0) {
      throw new ChatError(envelope.status_code, envelope.status_msg, 'reply');
    }
    return envelope.data as T;
  }

  /** `GET /api/account/token` with a user token: a new account token (docs/api.md §7). */
  async accountToken(userToken: string, accountId: number): Promise<Token> {
    const data = await this.request<{ account_token: Token }>('GET', '/api/account/token', {
      token: userToken,
      query: { account_id: accountId },
    });
    return data.account_token;
  }

  /** `GET /api/setting/friend/list`: every friendship, the self conversation included (§9). */
  friendList(accountToken: string): Promise<List<SettingFriend>> {
    return this.request('GET', '/api/setting/friend/list', { token: accountToken });
  }

  /**
   * `GET /api/msg/list/time` (docs/api.md §11): messages of a conversation created before
   * `last_time` (unix seconds), oldest first, paged.
   */
  messagesBefore(
    accountToken: string,
    query: { relation_id: number; last_time: number; page?: number; page_size?: number },
  ): Promise<List<MsgInfoWithRly>> {
    return this.request('GET', '/api/msg/list/time', { token: accountToken, query });
  }

  /** `POST /api/msg/sync` (docs/api.md §11): every message after `after_seq`, per conversation. */
  sync(
    accountToken: string,
    body: {
      relations: { relation_id: number; after_seq: number; after_change?: number }[];
      limit?: number;
    },
  ): Promise<{ list: SyncedRelation[] }> {
    return this.request('POST', '/api/msg/sync', { token: accountToken, body });
  }
}

/** A multipart form: the text fields, then the file part. */
function toForm(input: Upload & Record<string, unknown>): FormData {
  const form = new FormData();
  const { file, fileName, ...fields } = input;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null) form.append(key, String(value));
  }
  const name = fileName ?? (file as { name?: unknown }).name;
  form.append(UPLOAD_FIELD, file, typeof name === 'string' && name ? name : 'file');
  return form;
}

function isEnvelope(value: unknown): value is Envelope<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Envelope<unknown>).status_code === 'number' &&
    typeof (value as Envelope<unknown>).status_msg === 'string'
  );
}
