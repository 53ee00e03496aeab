import type { z } from 'zod';
import type { ErrorCode } from '@chat/protocol';

export type AuthKind = 'none' | 'user' | 'account';
export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** Who is calling, once the token checks of API.md §1.4 passed. */
export type Caller =
  | { kind: 'none' }
  | { kind: 'user'; userId: number }
  | { kind: 'account'; accountId: number; userId: number };

export type CallerOf<A extends AuthKind> = Extract<Caller, { kind: A }>;

export interface HandlerContext<A extends AuthKind, I> {
  input: I;
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
  /** `both`: query string and JSON body merged, body winning (API.md §1.3). */
  from: 'query' | 'body' | 'both' | 'none';
  input?: S;
  reply?: z.ZodType;
  /** Domain codes this endpoint can answer, besides the common ones (documentation). */
  errors?: ErrorCode[];
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
