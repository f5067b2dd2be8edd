/**
 * Documenting a route is part of declaring it. The middleware a route is
 * built from carries what it contributes to the route's OpenAPI operation:
 * `validate()` its request schema and 400, `requirePermission()` its 403,
 * the platform's middleware the statuses of the contract's check order, and
 * `describe()` (a no-op middleware placed first in the route) the summary,
 * the success response and the statuses the service can answer. The
 * document (platform/http/openapi.ts) is read off the app's route table, so
 * a route is in it the day it is added, and an undescribed one fails
 * test/workers/openapi.test.ts.
 */
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { ErrorStatus } from './errors';

export type ParameterTarget = 'json' | 'query' | 'param' | 'header' | 'form';

export interface SuccessResponse {
  status: 200 | 201 | 202 | 204;
  /** The JSON body, or absent for an empty one. */
  schema?: z.ZodType;
  /** A non-JSON body (the HTML reference). */
  contentType?: string;
  description?: string;
}

export interface RouteDoc {
  summary?: string;
  description?: string;
  /** The success answer; a route without one counts as undocumented. */
  response?: SuccessResponse;
  /** Error statuses this piece can answer with, in the contract's shape. */
  errors?: readonly ErrorStatus[];
  request?: { target: ParameterTarget; schema: z.ZodType };
  /** Headers the piece reads or writes (Idempotency-Key, RateLimit). */
  requestHeaders?: readonly { name: string; description: string; required?: boolean }[];
  responseHeaders?: readonly string[];
  /** Only for these methods (body-limit applies to writes). */
  methods?: readonly string[];
  /** Who may call: a person's session only, an operator, or nobody signed in needed. */
  security?: 'user' | 'operator' | 'none';
}

const ROUTE_DOC = Symbol('routeDoc');

type Documented = { [ROUTE_DOC]?: RouteDoc };

/** Attaches `doc` to `handler` (returned, same function), for the document generator. */
export function withDoc<H extends MiddlewareHandler>(handler: H, doc: RouteDoc): H {
  const documented = handler as H & Documented;
  documented[ROUTE_DOC] = { ...documented[ROUTE_DOC], ...doc };
  return handler;
}

export function docOf(handler: unknown): RouteDoc | undefined {
  return typeof handler === 'function' ? (handler as Documented)[ROUTE_DOC] : undefined;
}

/** The route's own description: a no-op middleware, placed first in the route's handler list. */
export function describe(doc: Omit<RouteDoc, 'request' | 'methods'> & { summary: string; response: SuccessResponse }): MiddlewareHandler {
  return withDoc(async function describedRoute(_c, next) {
    await next();
  }, doc);
}
