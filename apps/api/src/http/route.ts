import type { z } from 'zod';
import type { ErrorCode } from '@chat/protocol';

export type AuthKind = 'none' | 'user' | 'account';
export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** Who is calling, once the token checks of docs/api.md §1.4 passed. */
export type Caller =
  | { kind: 'none' }
  | { kind: 'user'; userId: number }
  | { kind: 'account'; accountId: number; userId: number };

export type CallerOf<A extends AuthKind> = Extract<Caller, { kind: A }>;

/** The file part of a multipart request, read whole within the route's limits. */
export interface UploadedFile {
  /** The client's file name. */
  name: string;
  size: number;
  /** The client's MIME type: informative only. */
  mimetype: string;
  /** Judged by the leading bytes, not by the name or MIME type (docs/api.md §11 step 3). */
  kind: 'img' | 'file';
  buffer: Buffer;
}

/**
 * How a multipart route takes its file: the form field, which content it accepts and the
 * size limits by content (docs/api.md §1.5), enforced while the body streams in.
 */
export interface UploadSpec {
  field: string;
  /** `image`: anything else answers 1001 as soon as its first bytes show it. */
  accept: 'image' | 'any';
  /** Largest image (`Rule.BiggestImageSize`), bytes; larger answers 8004. */
  maxImageBytes: number;
  /** Largest other file (`Rule.BiggestFileSize`), bytes; larger answers 8004. */
  maxFileBytes: number;
}

export interface HandlerContext<A extends AuthKind, I> {
  input: I;
  /** The uploaded file of a `multipart` route (the runner answers 1001 when it is missing). */
  file?: UploadedFile;
  caller: CallerOf<A>;
  /** Aborted when the request deadline (`Server.DefaultContextTimeout`) passes. */
  signal: AbortSignal;
  requestId: string;
  ip: string;
}

/**
 * One endpoint: where its input comes from, the zod schema that validates it, the reply
 * schema (for the OpenAPI document) and the handler. Routes are data so that validation,
 * authentication and documentation come from one definition.
 */
export interface RouteSpec<A extends AuthKind = AuthKind, S extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  path: string;
  auth: A;
  tag: string;
  summary: string;
  /** What a client must know beyond the summary, for the OpenAPI document. */
  description?: string;
  /**
   * `both`: query string and JSON body merged, body winning (docs/api.md §1.3). `multipart`:
   * query string and the form's text fields merged, fields winning; the file per `upload`.
   */
  from: 'query' | 'body' | 'both' | 'none' | 'multipart';
  input?: S;
  reply?: z.ZodType;
  /** Domain codes this endpoint can answer, besides the common ones (documentation). */
  errors?: ErrorCode[];
  /** Required with `from: 'multipart'`. */
  upload?: UploadSpec;
  /** Extra limiter applied after the IP limit (`Limit.APILimit.*`). */
  limit?: 'email' | 'upload';
  handle(ctx: HandlerContext<A, z.output<S>>): Promise<unknown>;
}

export type AnyRoute = RouteSpec<AuthKind, z.ZodType>;

/**
 * Types a route's handler with its literal auth kind and parsed input, then erases both:
 * the runner hands each handler exactly the caller and input its spec declares.
 */
export function route<A extends AuthKind, S extends z.ZodType = z.ZodType>(
  spec: RouteSpec<A, S>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}
