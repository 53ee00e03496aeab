import type { MsgInfoWithRly } from '@chat/protocol';
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
}

export interface ChatApiOptions {
  /** The server's base URL, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** Defaults to the global `fetch` (browsers, Node 18+). */
  fetch?: typeof fetch;
}

/**
 * Typed REST calls of docs/api.md. Every call resolves with the envelope's `data` on
 * `status_code` 0 and rejects with a `ChatError` otherwise.
 */
export class ChatApi {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  constructor(options: ChatApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Called unbound, a browser's `fetch` throws "Illegal invocation".
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
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
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetch(url.toString(), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
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
    body: { relations: { relation_id: number; after_seq: number }[]; limit?: number },
  ): Promise<{ list: SyncedRelation[] }> {
    return this.request('POST', '/api/msg/sync', { token: accountToken, body });
  }
}

function isEnvelope(value: unknown): value is Envelope<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Envelope<unknown>).status_code === 'number' &&
    typeof (value as Envelope<unknown>).status_msg === 'string'
  );
}
