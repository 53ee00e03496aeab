import { randomUUID } from 'node:crypto';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import swaggerUi from 'swagger-ui-express';
import { compileTrustProxy, type TrustProxy } from '@chat/config';
import type { Logger } from '@chat/logger';
import { checkSession, type SubjectTokens, type TokenService } from '@chat/auth';
import { plainAddress, rateKeyOfAddress } from '@chat/runtime';
import { AppError, ErrorCode } from '@chat/protocol';
import { sendError, sendOk } from './envelope';
import { multipartReader } from './multipart';
import type { AnyRoute, Caller } from './route';
import { readInput } from './validate';

/**
 * Looks callers up after their token verified (docs/api.md §1.4: 2001, 2010; 2013 for an ended
 * session): the subject's current token epoch, from a cache, so that authenticating a
 * request costs no database query.
 */
export interface CallerDirectory {
  /** The user's token epoch, or null when the user no longer exists. */
  user(userId: number): Promise<SubjectTokens | null>;
  /** The account's token epoch and owning user, or null when it no longer exists. */
  account(accountId: number): Promise<SubjectTokens | null>;
}

/** A limiter check: resolves whether the request may proceed (1004 otherwise). */
export type LimitCheck = (key: string) => Promise<boolean>;

export interface HttpDeps {
  routes: AnyRoute[];
  tokens: TokenService;
  callers: CallerDirectory;
  /** Per client address (IPv6: its /64) on every /api request (`Limit.IPLimit`). */
  ipLimit: LimitCheck;
  /** `Server.TrustProxy`: the hops whose `X-Forwarded-For` is believed (default loopback). */
  trustProxy?: TrustProxy;
  /** Per-route extra limits (`Limit.APILimit.*`), keyed by the route's `limit`. */
  routeLimits: Record<'email' | 'upload', LimitCheck>;
  requestTimeoutMs: number;
  openapi: object;
  /** The AsyncAPI document of the WebSocket protocol (`buildAsyncApi`). */
  asyncapi: object;
  log: Logger;
  /** Largest JSON body accepted. */
  jsonLimitBytes?: number;
  /** Mounted before everything else: sees every request (request metrics). */
  first?: RequestHandler;
  /** Extra routers mounted before the 404 handler (file serving, health). */
  extra?: (app: express.Express) => void;
}

async function authenticate(route: AnyRoute, req: Request, deps: HttpDeps): Promise<Caller> {
  if (route.auth === 'none') return { kind: 'none' };
  const token = deps.tokens.fromHeader(req.get(deps.tokens.headerName));
  if (route.auth === 'user') {
    const claims = deps.tokens.verify(token, 'user');
    checkSession(claims, await deps.callers.user(claims.subject));
    return { kind: 'user', userId: claims.subject };
  }
  const claims = deps.tokens.verify(token, 'account');
  const { owner } = checkSession(claims, await deps.callers.account(claims.subject));
  return { kind: 'account', accountId: claims.subject, userId: owner };
}

/**
 * What was wrong with the request itself, when a middleware refused it (the JSON body
 * reader, the docs' static files): body-parser and raw-body refuse with a 4xx `http-errors`
 * error, with a `type` for most causes but not all (a body that does not inflate carries
 * zlib's error and no type). Those are the client's doing: 1001, or 1002 for a 404; not a
 * server error. Undefined for anything else.
 */
export function requestProblem(err: unknown): string | 'not found' | undefined {
  const e = err as { type?: unknown; status?: unknown; expose?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  switch (e.type) {
    case 'entity.parse.failed':
      return 'body: malformed JSON';
    case 'entity.too.large':
      return 'body: too large';
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return 'body: unsupported encoding';
  }
  if (typeof e.status !== 'number' || e.status < 400 || e.status > 499 || e.expose !== true) {
    return undefined;
  }
  if (e.status === 404) return 'not found';
  // `expose` marks the message as written for the client (http-errors).
  return `request not readable: ${String(e.message).slice(0, 200)}`;
}

/** Request ids a caller may choose (`X-Request-Id`); anything else is replaced by a UUID. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's id: the caller's `X-Request-Id` when it is a plain token (so a proxy's id
 * follows the request into the log), else a new UUID. Answered in `X-Request-Id` on every
 * response and named in 1003 and 1005 answers, so a report can be matched to the log.
 */
export function requestIdOf(header: string | undefined): string {
  return header && CALLER_REQUEST_ID.test(header) ? header : randomUUID();
}

/** 1003: nothing of the failure itself, only what lets an operator find it in the log. */
export function serverErrorMessage(requestId: string): string {
  return `server error (request ${requestId})`;
}

/**
 * 1005: the handler is not cancelled part-way, so work it had begun (a commit, a publish)
 * may still complete after the answer; the caller reads the state back before retrying.
 */
export function timeoutMessage(requestId: string): string {
  return `request timed out and may still complete: read the state back before retrying (request ${requestId})`;
}

function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new AppError(ErrorCode.Timeout));
    }, ms);
  });
  return Promise.race([work(controller.signal), deadline]).finally(() => clearTimeout(timer));
}

/**
 * The express application: CORS, JSON parsing, IP limit, every route with validation and
 * authentication, the OpenAPI document, 404 → 1002 and the one error mapping of docs/development.md §6.
 */
export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? compileTrustProxy('loopback'));
  if (deps.first) app.use(deps.first);

  app.use((req, res, next) => {
    res.locals.requestId = requestIdOf(req.get('x-request-id'));
    res.setHeader('X-Request-Id', res.locals.requestId as string);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Methods', 'GET,POST,PUT,DELETE,OPTIONS');
    res.setHeader(
      'Access-Control-Allow-Headers',
      `Content-Type,${deps.tokens.headerName},X-Request-Id`,
    );
    // docs/api.md §1.1: CORS pre-flight answers 200.
    if (req.method === 'OPTIONS') return void res.status(200).end();
    next();
  });
  // Read by each route, not here: a body sent to no route must not turn its 404 into a 1001.
  const json = express.json({ limit: deps.jsonLimitBytes ?? 256 * 1024, strict: false });

  app.get('/api/openapi.json', (_req, res) => void res.json(deps.openapi));
  app.get('/api/asyncapi.json', (_req, res) => void res.json(deps.asyncapi));
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(deps.openapi));

  app.use('/api', async (req, _res, next) => {
    try {
      next(
        (await deps.ipLimit(rateKeyOfAddress(req.ip ?? 'unknown')))
          ? undefined
          : new AppError(ErrorCode.TooManyRequests),
      );
    } catch (err) {
      next(err);
    }
  });

  for (const route of deps.routes) {
    if (route.from === 'multipart' && !route.upload) {
      throw new Error(`${route.method} ${route.path}: a multipart route needs its upload spec`);
    }
    // Uploads are read only after authentication, so anonymous bodies are never buffered.
    const readUpload = route.upload && multipartReader(route.upload);
    app[route.method](route.path, json, async (req: Request, res: Response, next: NextFunction) => {
      try {
        if (
          route.limit &&
          !(await deps.routeLimits[route.limit](rateKeyOfAddress(req.ip ?? 'unknown')))
        ) {
          throw new AppError(ErrorCode.TooManyRequests);
        }
        const caller = await authenticate(route, req, deps);
        const file = readUpload ? await readUpload(req, res) : undefined;
        const input = await readInput(route, req);
        const data = await withDeadline(
          (signal) =>
            route.handle({
              input,
              file,
              caller: caller as never,
              signal,
              requestId: res.locals.requestId as string,
              ip: plainAddress(req.ip ?? 'unknown'),
            }),
          deps.requestTimeoutMs,
        );
        sendOk(res, data ?? undefined);
      } catch (err) {
        next(err);
      }
    });
  }

  deps.extra?.(app);

  app.use((_req, res) => sendError(res, ErrorCode.NotFound, 'no such route', 404));

  // The one place errors become replies (docs/development.md §6).
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = res.locals.requestId as string;
    if (err instanceof AppError) {
      if (err.code === ErrorCode.ServerError) {
        // The detail (a dependency's message, SQL) stays in the log; the caller gets the id.
        deps.log.error({ err, requestId, path: req.path }, 'request failed');
        return sendError(res, err.code, serverErrorMessage(requestId));
      }
      if (err.code === ErrorCode.Timeout) {
        deps.log.warn({ requestId, path: req.path }, 'request passed its deadline');
        return sendError(res, err.code, timeoutMessage(requestId));
      }
      return sendError(res, err.code, err.message);
    }
    const refused = requestProblem(err);
    if (refused === 'not found') return sendError(res, ErrorCode.NotFound, undefined, 404);
    if (refused) return sendError(res, ErrorCode.InvalidParams, refused);
    deps.log.error({ err, requestId, path: req.path }, 'unexpected error');
    sendError(res, ErrorCode.ServerError, serverErrorMessage(requestId), 500);
  });
  return app;
}
