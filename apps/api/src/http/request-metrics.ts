import type { Request, RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';

/** Seconds, from a cached read to a slow upload or search. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Times every request into `chat_http_request_duration_seconds{method, route, status}`.
 * `route` is the matched route's pattern (`/api/message/list`, `/files/*key`), never the
 * raw URL, so ids in paths and query strings cannot multiply the series; requests that
 * match no route (404s, CORS pre-flights, static documents) share `unmatched`.
 */
export function requestTimer(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'chat_http_request_duration_seconds',
    help: 'Time from receiving a request to the end of its response, by route pattern.',
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS,
    registers: [registry],
  });
  return (req, res, next) => {
    const end = duration.startTimer();
    res.once('finish', () =>
      end({ method: req.method, route: routePattern(req), status: String(res.statusCode) }),
    );
    next();
  };
}

function routePattern(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
}
