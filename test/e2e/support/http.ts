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
  /** Sent as is, instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** A minimal REST client for the api, over real HTTP. */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<Reply<T>> {
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
