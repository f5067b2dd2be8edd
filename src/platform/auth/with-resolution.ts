/**
 * A route's read, batched with who and where (issue 15): the one statement
 * that resolves the caller and their membership (platform/auth/middleware.ts)
 * and the route's read go to D1 in one batch, so a read route costs one round
 * trip instead of two.
 *
 * The read cannot depend on the resolution's answer, so it is scoped by what
 * the request itself names: the path's tenant by slug, guarded in SQL by the
 * token's user being a member there (`tenantReadsBySlug`), or the token's
 * user. Its rows are handed to the route only after the resolution in the
 * same batch (one transaction, at the primary: never a replica-stale check)
 * admitted the caller and the route's own checks ran: `result(c)` is called
 * from the handler, behind authentication (401), the tenancy middleware (404)
 * and the route's permission guard (403). Where the batch did not happen
 * (the route reached without a credential to resolve), `result` reads on its
 * own, after those checks, as the route did before.
 *
 * A route declares its read with `read.batched()` among its middleware; the
 * authentication middleware finds it in the request's matched routes.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { tenantReadsBySlug } from '../context';
import type { BatchStatement } from '../db/global-db';
import type { AppEnv, Env, TenantEnv } from '../env';
import type { TenantReads } from '../tenancy/tenant-db';
import { requirePrincipal } from './middleware';

const BATCHED_READ = Symbol('batchedRead');

/** A statement that can go in a D1 batch and be awaited on its own: a drizzle query. */
type Statement = BatchStatement & PromiseLike<unknown>;
/** What a statement answers. */
type Rows<Q extends Statement> = Q extends PromiseLike<infer R> ? R : never;

/** What a read batched with the resolution may be scoped by: the request's own names for the caller and the tenant. */
export interface ResolutionScope {
  env: Pick<Env, 'DB'>;
  /** The person the session token names (its liveness is what the resolution checks); undefined for an API key. */
  userId: string | undefined;
  /** The path's tenant by slug (member-guarded for a person); undefined outside /api/t/:tenant. */
  tenant: TenantReads | undefined;
}

/** The route's statement for a scope, or undefined when the scope cannot carry it (a caller read under an API key). */
type Build<Q extends Statement> = (scope: ResolutionScope) => Q | undefined;

/** Builds the declared read's statement for the authentication middleware to batch; undefined without one. */
export type CompanionFor = (userId: string | undefined) => BatchStatement | undefined;

interface BatchedRead<Q extends Statement> {
  /** Route middleware that declares the read; put it after the route's permission guard. */
  batched<E extends AppEnv>(): MiddlewareHandler<E>;
  /** The read's rows, from the resolution's batch, or read now (after the route's checks) when it was not batched. */
  result(c: Context<AppEnv>, scope: ResolutionScope): Promise<Rows<Q>>;
}

/** What the authentication middleware keeps of a batched read's answer, for the route. */
export interface BatchedAnswer {
  read: object;
  rows: unknown;
}

/** What a route's declaring middleware carries, for the authentication middleware to find. */
interface Declaration {
  read: object;
  build: Build<Statement>;
}

function batchedRead<Q extends Statement>(build: Build<Q>): BatchedRead<Q> {
  const read: BatchedRead<Q> = {
    batched<E extends AppEnv>() {
      const declare: MiddlewareHandler<E> = async (_c, next) => {
        await next();
      };
      const declaration: Declaration = { read, build };
      return Object.assign(declare, { [BATCHED_READ]: declaration });
    },
    async result(c, scope) {
      const answer = c.var.batchedAnswer;
      // The batch's rows are this read's, of the same tenant and user, admitted by the resolution that ran with them.
      if (answer?.read === read) return answer.rows as Rows<Q>;
      const statement = build(scope);
      if (!statement) throw new Error('a batched read without a scope to read in');
      return (await statement) as Rows<Q>;
    },
  };
  return read;
}

/** A read of the path's tenant (`tenant_id` is in every statement), batched with who and where. */
export function tenantReadWithResolution<Q extends Statement>(build: (tenant: TenantReads) => Q) {
  const read = batchedRead((scope) => (scope.tenant ? build(scope.tenant) : undefined));
  return {
    batched: read.batched,
    /** The rows, for the tenant the tenancy middleware resolved. */
    // A tenant route's context has every variable an AppEnv one has (Hono's Context is invariant in its env, hence the cast).
    result: (c: Context<TenantEnv>) => read.result(c as unknown as Context<AppEnv>, { env: c.env, userId: undefined, tenant: c.var.tenantCtx.db }),
  };
}

/** A read of the signed-in person's own rows, batched with who is calling. */
export function callerReadWithResolution<Q extends Statement>(build: (scope: { env: Pick<Env, 'DB'>; userId: string }) => Q) {
  const read = batchedRead((scope) => (scope.userId === undefined ? undefined : build({ env: scope.env, userId: scope.userId })));
  return {
    batched: read.batched,
    /** The rows, for the person authentication resolved. */
    result: (c: Context<AppEnv>) => {
      const principal = requirePrincipal(c);
      return read.result(c, { env: c.env, userId: principal.userId ?? undefined, tenant: undefined });
    },
  };
}

/** The read the request's route declared, as a statement builder for the resolution's batch; undefined when it declared none. */
export function declaredCompanion(c: Context<AppEnv>): { read: object; companionFor: CompanionFor } | undefined {
  for (const route of matchedRoutes(c)) {
    const declaration = (route.handler as Partial<Record<typeof BATCHED_READ, Declaration>>)[BATCHED_READ];
    if (!declaration) continue;
    const slug = c.req.param('tenant');
    return {
      read: declaration.read,
      companionFor: (userId) => declaration.build({ env: c.env, userId, tenant: slug === undefined ? undefined : tenantReadsBySlug(c.env, slug, userId) }),
    };
  }
  return undefined;
}
