import { ErrorCode } from '@chat/protocol';

/** The envelope of docs/api.md §1.1. */
export interface Envelope<T = unknown> {
  status_code: number;
  status_msg: string;
  data?: T;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  query?: Record<string, string | number>;
}

/** A REST call answered with an error code; `status` is that code (docs/api.md §2). */
export class ApiCallError extends Error {
  constructor(
    readonly call: string,
    readonly status: number,
    statusMsg: string,
  ) {
    super(`${call}: ${status} ${statusMsg}`);
    this.name = 'ApiCallError';
  }
}

/**
 * A small client for the REST api. A 1004 (rate limit) is waited out and retried, a second
 * apart, up to `patienceMs`: set-up traffic of a load run is bursty, and a limit sized for
 * one person refuses some of it.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly patienceMs = 120_000,
  ) {}

  async call<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const deadline = Date.now() + this.patienceMs;
    for (;;) {
      const reply = await this.once<T>(method, path, opts);
      if (reply.status_code === 0) return reply.data as T;
      if (reply.status_code !== ErrorCode.TooManyRequests || Date.now() > deadline) {
        throw new ApiCallError(`${method} ${path}`, reply.status_code, reply.status_msg);
      }
      await sleep(1000);
    }
  }

  /** One request, whatever its envelope says. */
  async once<T>(method: string, path: string, opts: CallOptions = {}): Promise<Envelope<T>> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    try {
      return JSON.parse(text) as Envelope<T>;
    } catch {
      throw new Error(`${method} ${path}: not JSON (HTTP ${res.status}): ${text.slice(0, 200)}`);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
