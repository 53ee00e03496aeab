import http from 'node:http';
import { ERROR_MESSAGES, ErrorCode } from '@chat/protocol';
import { REQUEST_ID, type RestCase } from './rest-cases';
import { clip, type Tally } from './tally';

const KNOWN_CODES = new Set(Object.keys(ERROR_MESSAGES).map(Number));
const ENVELOPE_KEYS = new Set(['status_code', 'status_msg', 'data']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Bytes of an answer kept for the checks; `/files` may serve a 10 MB avatar. */
const KEEP_BYTES = 1024 * 1024;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Bytes the answer had in all. */
  size: number;
}

/** Sends one request on `agent` and reads the whole answer (keeping its first MB). */
function send(base: URL, agent: http.Agent, c: RestCase, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...c.headers };
    if (c.body && !c.chunked) headers['content-length'] = c.body.length;
    // Node's client sends a GET or DELETE body chunked only when told: without the header
    // the body would be read as the next request on the connection.
    if (c.body && c.chunked) headers['transfer-encoding'] = 'chunked';
    const req = http.request({
      host: base.hostname,
      port: base.port,
      method: c.method,
      path: c.path,
      headers,
      agent,
      timeout: timeoutMs,
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        if (size < KEEP_BYTES) chunks.push(d);
        size += d.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          size,
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // The server may answer a large body early and stop reading it: what it answered counts.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (c.body && c.chunked) {
      for (let at = 0; at < c.body.length; at += 64 * 1024)
        req.write(c.body.subarray(at, at + 64 * 1024));
      req.end();
    } else {
      req.end(c.body);
    }
  });
}

/** The answer's envelope, or why it is not a well-formed one (docs/api.md §1.1). */
function envelopeOf(a: Answer): { code: number; msg: string; data: boolean } | string {
  const type = String(a.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) return `content-type ${JSON.stringify(type)}`;
  let body: unknown;
  try {
    body = JSON.parse(a.body.toString('utf8'));
  } catch {
    return `body not JSON: ${clip(a.body.toString('utf8'), 200)}`;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body not an object';
  const env = body as Record<string, unknown>;
  const extra = Object.keys(env).filter((k) => !ENVELOPE_KEYS.has(k));
  if (extra.length) return `envelope has extra keys ${extra.join(',')}`;
  if (!Number.isInteger(env.status_code)) return 'status_code not an integer';
  if (typeof env.status_msg !== 'string' || env.status_msg.length === 0)
    return 'status_msg missing';
  const code = env.status_code as number;
  if (!KNOWN_CODES.has(code)) return `unknown status_code ${code}`;
  if (code !== 0 && 'data' in env) return `error ${code} carries data`;
  return { code, msg: env.status_msg as string, data: 'data' in env };
}

/**
 * Checks one answer against what the case must get. Returns the status code (or a label)
 * for the tally, and reports every departure as a defect.
 */
function judge(c: RestCase, a: Answer, tally: Tally, sentinel: string): string {
  const problems: string[] = [];
  const rid = a.headers['x-request-id'];
  // A header value reaches the server without its leading and trailing blanks (RFC 9110 OWS).
  const sentId = c.headers['x-request-id']?.replace(/^[ \t]+|[ \t]+$/g, '');
  if (c.expect.type !== 'files' || a.status !== 200) {
    if (typeof rid !== 'string') problems.push('no X-Request-Id');
    else if (sentId !== undefined && REQUEST_ID.test(sentId) ? rid !== sentId : !UUID.test(rid)) {
      problems.push(`X-Request-Id ${JSON.stringify(rid)} for ${JSON.stringify(sentId)}`);
    }
  }
  let answer: string = String(a.status);
  const e = c.expect;
  if (e.type === 'preflight') {
    if (a.status !== 200 || a.size !== 0)
      problems.push(`pre-flight answered ${a.status}, ${a.size} B`);
  } else if (e.type === 'head') {
    const want = e.route ? 200 : 404;
    if (a.status !== want || a.size !== 0)
      problems.push(`HEAD answered ${a.status}, ${a.size} B (want ${want})`);
  } else if (e.type === 'files' && a.status === 200) {
    answer = 'file';
    if (a.body.toString('utf8').includes(sentinel))
      problems.push('served a file from outside the store');
  } else {
    const env = envelopeOf(a);
    if (typeof env === 'string') {
      problems.push(`HTTP ${a.status}, ${env}`);
    } else {
      answer = String(env.code);
      const unknown = env.code === ErrorCode.NotFound && a.status === 404;
      if (env.code === ErrorCode.ServerError || a.status >= 500) {
        problems.push(`server error: HTTP ${a.status} ${clip(a.body.toString('utf8'), 200)}`);
      } else if (e.type === 'unknown' || e.type === 'files') {
        if (!unknown) problems.push(`HTTP ${a.status} code ${env.code}, want 404 and 1002`);
      } else if (e.type === 'route-or-unknown' && unknown) {
        // No route matched that path: fine.
      } else {
        if (a.status !== 200) problems.push(`HTTP ${a.status} with code ${env.code}`);
        if (!e.codes.includes(env.code)) {
          problems.push(
            `code ${env.code} ${clip(a.body.toString('utf8'), 160)}, want one of ${e.codes.join(',')}`,
          );
        } else if (
          e.mentions?.length &&
          env.code === ErrorCode.InvalidParams &&
          !e.mentions.some((m) => env.msg.includes(m))
        ) {
          problems.push(
            `status_msg ${JSON.stringify(env.msg)} names none of ${e.mentions.join(', ')}`,
          );
        }
      }
    }
  }
  if (problems.length) {
    tally.defect(
      `REST ${c.kind}: ${problems.join('; ')}\n    request: ${c.method} ${clip(c.path, 160)} ${clip(JSON.stringify(c.headers), 160)} body ${c.body ? clip(c.body.subarray(0, 300).toString('utf8'), 200) : 'none'}\n    case: ${c.note}`,
    );
  }
  return answer;
}

export interface RestRunOptions {
  concurrency: number;
  timeoutMs: number;
  /** Text of files outside the store, never to be served. */
  sentinel: string;
}

/**
 * Sends every case `next` yields, `concurrency` at a time over keep-alive connections,
 * and judges each answer. A request without an answer is a defect too.
 */
export async function runRest(
  baseUrl: string,
  next: () => RestCase | undefined,
  tally: Tally,
  opts: RestRunOptions,
): Promise<void> {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  try {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        for (let c = next(); c; c = next()) {
          let answer: Answer;
          try {
            answer = await send(base, agent, c, opts.timeoutMs);
          } catch (err) {
            tally.count(c.kind, 'no answer');
            tally.defect(
              `REST ${c.kind}: no answer (${(err as Error).message})\n    request: ${c.method} ${clip(c.path, 160)}\n    case: ${c.note}`,
            );
            continue;
          }
          const got = judge(c, answer, tally, opts.sentinel);
          tally.count(
            c.kind,
            got,
            () =>
              `${c.method} ${clip(c.path, 120)} ${c.body ? clip(c.body.subarray(0, 200).toString('utf8'), 160) : ''} (${c.note}) → ${clip(answer.body.subarray(0, 200).toString('utf8'), 160)}`,
          );
        }
      }),
    );
  } finally {
    agent.destroy();
  }
}
