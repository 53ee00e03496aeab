import { ChatApi, type HttpMethod } from '@chat/client';

/** The envelope of docs/api.md §1.1 as a client sees it, plus the HTTP status. */
export interface Reply<T = any> {
  http: number;
  status_code: number;
  status_msg: string;
  data?: T;
}

export interface CallOptions {
  token?: string;
  query?: Record<string, string | number>;
  body?: unknown;
  /** Sent as is, instead of JSON-encoding `body` (malformed-input tests; see `raw`). */
  rawBody?: string;
  /** Extra or replacing headers (odd `Authorization` schemes, content types; see `raw`). */
  headers?: Record<string, string>;
}

/**
 * The REST client of the end-to-end suites: the SDK's `ChatApi.call` (libs/client), which
 * gives the whole envelope whatever its code, plus the HTTP status the tests check too.
 * A call with `rawBody` or `headers` is something the SDK never sends (a body that is not
 * JSON, a `Basic` token, a forwarded address): it takes the small raw path instead.
 */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<Reply<T>> {
    if (opts.rawBody !== undefined || opts.headers !== undefined) {
      return this.raw<T>(method, path, opts);
    }
    // One `ChatApi` per call: its `fetch` notes this call's HTTP status, which the
    // envelope does not carry.
    let http = 0;
    const api = new ChatApi({
      baseUrl: this.baseUrl,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        http = res.status;
        return res;
      },
    });
    const envelope = await api.call<T>(method as HttpMethod, path, {
      token: opts.token,
      query: opts.query,
      body: opts.body,
    });
    return { http, ...envelope };
  }

  /**
   * One request exactly as given, bypassing the SDK: `rawBody` is sent as is, `headers`
   * added to (or replacing) the usual ones.
   */
  async raw<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<Reply<T>> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined || opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = opts.rawBody ?? JSON.stringify(opts.body);
    }
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    let json: Omit<Reply<T>, 'http'>;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path}: not JSON (HTTP ${res.status}): ${text.slice(0, 200)}`);
    }
    return { http: res.status, ...json };
  }

  get = <T = any>(path: string, opts?: CallOptions) => this.call<T>('GET', path, opts);
  post = <T = any>(path: string, opts?: CallOptions) => this.call<T>('POST', path, opts);
  put = <T = any>(path: string, opts?: CallOptions) => this.call<T>('PUT', path, opts);
  delete = <T = any>(path: string, opts?: CallOptions) => this.call<T>('DELETE', path, opts);
}

/** Asserts success and returns `data`. */
export function ok<T>(reply: Reply<T>): T {
  if (reply.status_code !== 0) {
    throw new Error(`expected success, got ${reply.status_code} ${reply.status_msg}`);
  }
  return reply.data as T;
}
