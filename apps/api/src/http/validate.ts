import type { Request } from 'express';
import { InvalidInputError, describeIssues } from '@chat/protocol';
import type { AnyRoute } from './route';

/** camelCase names of the reference server's document, accepted in the query (docs/api.md §1.3). */
const QUERY_ALIASES: Record<string, string> = {
  relationID: 'relation_id',
  lastTime: 'last_time',
  rlyMsgID: 'rly_msg_id',
};

function queryOf(req: Request): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(req.query)) {
    const name = QUERY_ALIASES[key] ?? key;
    // A repeated key (?a=1&a=2) keeps its first value rather than becoming an array.
    const v = Array.isArray(value) ? value[0] : value;
    if (!(name in out) || key === name) out[name] = v;
  }
  return out;
}

function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidInputError('body: must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** The text fields of a multipart form (multer puts them in `req.body`). */
function formFieldsOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? { ...body } : {};
}

/** Collects the route's input from where the spec says and validates it (1001 on failure). */
export async function readInput(route: AnyRoute, req: Request): Promise<unknown> {
  if (!route.input || route.from === 'none') return {};
  const raw =
    route.from === 'query'
      ? queryOf(req)
      : route.from === 'body'
        ? bodyOf(req)
        : route.from === 'multipart'
          ? { ...queryOf(req), ...formFieldsOf(req) }
          : { ...queryOf(req), ...bodyOf(req) };
  const result = await route.input.safeParseAsync(raw);
  if (!result.success) throw new InvalidInputError(describeIssues(result.error, 'input'));
  return result.data;
}
