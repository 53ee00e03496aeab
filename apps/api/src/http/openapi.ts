import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
} from 'zod-openapi';
import { ERROR_MESSAGES, ErrorCode } from '@chat/protocol';
import type { AnyRoute } from './route';

const COMMON: Record<string, ErrorCode[]> = {
  none: [
    ErrorCode.InvalidParams,
    ErrorCode.ServerError,
    ErrorCode.TooManyRequests,
    ErrorCode.Timeout,
  ],
  user: [
    ErrorCode.AuthMissing,
    ErrorCode.AuthFailed,
    ErrorCode.TokenExpired,
    ErrorCode.UserNotFound,
  ],
  account: [
    ErrorCode.AuthMissing,
    ErrorCode.AuthFailed,
    ErrorCode.TokenExpired,
    ErrorCode.AccountNotFound,
  ],
};

/** How a token stops working (docs/sessions.md), for both security schemes. */
const TOKEN_ENDS =
  'Valid until its expired_at (then 2013) unless its session ends first: a password or ' +
  'email change or POST /api/user/logout ends every token of the user and its accounts, ' +
  'POST /api/account/logout every token of one account (2013 from then on); a deleted ' +
  'user or account answers 2001 or 2010.';

/** The reply envelope of docs/api.md §1.1; the WebSocket reply frame adds its `id` to it. */
export function envelope(data: z.ZodType | undefined) {
  return z.object({
    status_code: z.number().int().meta({ description: '0 on success, else an error code' }),
    status_msg: z.string(),
    ...(data ? { data: data.optional() } : {}),
  });
}

function codesText(route: AnyRoute): string {
  const codes = [
    ...(route.errors ?? []),
    ...COMMON[route.auth === 'none' ? 'none' : route.auth],
    ...COMMON.none,
  ];
  return [...new Set(codes)].map((c) => `${c} ${ERROR_MESSAGES[c]}`).join('; ');
}

/** A multipart form: the route's text fields plus its file part, with the size limits. */
function multipartSchema(r: AnyRoute) {
  const upload = r.upload!;
  const fields = r.input instanceof z.ZodObject ? r.input : z.object({});
  const what = upload.accept === 'image' ? 'a JPEG, PNG, GIF or WebP image' : 'any file';
  const limits =
    upload.accept === 'image'
      ? `at most ${upload.maxImageBytes} bytes`
      : `images at most ${upload.maxImageBytes} bytes, other files at most ${upload.maxFileBytes}`;
  return fields.extend({
    [upload.field]: z.string().meta({
      format: 'binary',
      contentMediaType: 'application/octet-stream',
      description: `${what}, judged by its content; ${limits} (else 8004)`,
    }),
  });
}

/**
 * The OpenAPI 3.1 document of the given routes, generated from the same zod schemas the
 * api validates with. Every reply is HTTP 200 with the envelope of docs/api.md §1.1.
 */
export function buildOpenApi(routes: AnyRoute[], info: { title: string; version: string }) {
  const paths: ZodOpenApiPathsObject = {};
  for (const r of routes) {
    const op: ZodOpenApiOperationObject = {
      tags: [r.tag],
      summary: r.summary,
      description: [r.description, `Status codes: ${codesText(r)}.`].filter(Boolean).join(' '),
      security:
        r.auth === 'none' ? [] : [{ [r.auth === 'user' ? 'userToken' : 'accountToken']: [] }],
      responses: {
        '200': {
          description: 'The envelope; `data` only when status_code is 0.',
          content: { 'application/json': { schema: envelope(r.reply) } },
        },
      },
    };
    if (r.input && r.from === 'query') {
      op.requestParams = { query: r.input as z.ZodObject };
    } else if (r.input && (r.from === 'body' || r.from === 'both')) {
      op.requestBody = { content: { 'application/json': { schema: r.input } } };
    } else if (r.from === 'multipart' && r.upload) {
      op.requestBody = { content: { 'multipart/form-data': { schema: multipartSchema(r) } } };
    }
    paths[r.path] = { ...(paths[r.path] ?? {}), [r.method]: op };
  }
  return createDocument({
    openapi: '3.1.0',
    info: { ...info, description: 'REST surface of the chat server (docs/api.md).' },
    components: {
      securitySchemes: {
        userToken: {
          type: 'http',
          scheme: 'bearer',
          description: `user token (register, login). ${TOKEN_ENDS}`,
        },
        accountToken: {
          type: 'http',
          scheme: 'bearer',
          description: `account token (account create, token). ${TOKEN_ENDS}`,
        },
      },
    },
    paths,
  });
}
