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
import { sql } from 'drizzle-orm';
import type { PreparedQueryConfig, SQLitePreparedQuery } from 'drizzle-orm/sqlite-core';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { tenantReadsBySlug } from '../context';
import { compiled } from '../db/compiled';
import { userWithTenants } from '../db/cross-tenant';
import type { BatchStatement } from '../db/global-db';
import type { AppEnv, Env, TenantEnv } from '../env';
import { boundsOf, pageOfQuery, type PageBounds } from '../pagination';
import type { TenantReads } from '../tenancy/tenant-db';
import { requirePrincipal } from './middleware';

const BATCHED_READ = Symbol('batchedRead');

/** A statement that can go in a D1 batch and be awaited on its own: a drizzle query. */
type Statement = BatchStatement & PromiseLike<unknown>;
/** A drizzle select, which can also be built once per isolate (db/compiled.ts). */
type Select = Statement & { prepare(): SQLitePreparedQuery<PreparedQueryConfig> };
/** What a statement answers. */
type Rows<Q extends Statement> = Q extends PromiseLike<infer R> ? R : never;

/** What a read run after the route's checks (not batched) is scoped by. */
export interface ResolutionScope {
  env: Pick<Env, 'DB'>;
  /** The person authentication resolved; undefined for an API key. */
  userId: string | undefined;
  /** The tenant the tenancy middleware resolved; undefined outside /api/t/:tenant. */
  tenant: TenantReads | undefined;
  /** The request's query parameters, validated by the route already. */
  query: Record<string, string>;
}

/** What a read batched with the resolution may be scoped by: the request's own names for the caller and the tenant. */
export interface CompanionScope {
  env: Pick<Env, 'DB'>;
  /** The person the session token names (its liveness is what the resolution checks); undefined for an API key. */
  userId: string | undefined;
  /** The path's tenant slug (member-guarded for a person, `tenantReadsBySlug`); undefined outside /api/t/:tenant. */
  slug: string | undefined;
  /** The request's query parameters, not yet validated: a read may narrow by them (a page); the route validates them before it uses the rows. */
  query: Record<string, string>;
}

/** The route's statement for a scope, or undefined when the scope cannot carry it (a caller read under an API key). */
type Build<Q extends Statement> = (scope: ResolutionScope) => Q | undefined;
/** The statement for the resolution's batch, or undefined when it cannot be batched. */
type Companion = (scope: CompanionScope) => BatchStatement | undefined;

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
  companion: Companion;
  /** The read is the caller and their tenants, which a session's resolution answers in its own statement (no batch). */
  callerWithTenants: boolean;
}

/** The read a route declared, as the authentication middleware uses it. */
export interface DeclaredRead {
  /** The route's statement for the resolution's batch, for the caller the token names. */
  companionFor: CompanionFor;
  /** A session's resolution outside tenant paths answers the read itself (`sessionUserWithTenants`). */
  callerWithTenants: boolean;
}

function batchedRead<Q extends Statement>(build: Build<Q>, companion: Companion, { callerWithTenants = false } = {}): BatchedRead<Q> {
  const read: BatchedRead<Q> = {
    batched<E extends AppEnv>() {
      const declare: MiddlewareHandler<E> = async (_c, next) => {
        await next();
      };
      const declaration: Declaration = { read, companion, callerWithTenants };
      return Object.assign(declare, { [BATCHED_READ]: declaration });
    },
    async result(c, scope) {
      const answer = c.get('batchedAnswer');
      // The batch's rows are this read's, of the same tenant and user, admitted by the resolution that ran with them.
      if (answer?.read === read) return answer.rows as Rows<Q>;
      const statement = build(scope);
      if (!statement) throw new Error('a batched read without a scope to read in');
      return (await statement) as Rows<Q>;
    },
  };
  return read;
}

/**
 * A read of the path's tenant (`tenant_id` is in every statement), batched
 * with who and where. `paged`: the read takes the request's page
 * (`?cursor&limit`, platform/pagination.ts). Batched, it runs as a
 * statement built once per isolate for each shape (caller a person or a
 * key; a first page or a later one), with placeholders for the slug, the
 * person and the page: building a statement's SQL was a large share of a
 * read's CPU (decision 0024).
 */
export function tenantReadWithResolution<Q extends Select>(build: (tenant: TenantReads, page: PageBounds | undefined) => Q, { paged = false } = {}) {
  const shapes = new Map<string, ReturnType<typeof compiled>>();
  const compiledRead = (db: D1Database, slug: string, userId: string | undefined, page: PageBounds | undefined): BatchStatement => {
    const shape = `${userId === undefined ? 'key' : 'person'}/${page ? (page.after ? 'after' : 'first') : 'all'}`;
    let statement = shapes.get(shape);
    if (!statement) {
      statement = compiled((handle) => {
        const placeholderPage = page && { after: page.after && { at: sql.placeholder('at'), id: sql.placeholder('id') }, rows: sql.placeholder('rows') };
        return build(tenantReadsBySlug(handle, sql.placeholder('slug'), userId === undefined ? undefined : sql.placeholder('userId')), placeholderPage).prepare();
      });
      shapes.set(shape, statement);
    }
    return statement(db, { slug, userId, at: page?.after?.at, id: page?.after?.id, rows: page?.rows });
  };
  const read = batchedRead<Q>(
    (scope) => (scope.tenant ? build(scope.tenant, paged ? pageBounds(scope.query) : undefined) : undefined),
    (scope) => {
      if (scope.slug === undefined) return undefined;
      // An invalid page is not batched: the route answers it with 400, after its own checks.
      const page = paged ? pageBoundsOrNone(scope.query) : undefined;
      return page === null ? undefined : compiledRead(scope.env.DB, scope.slug, scope.userId, page);
    },
  );
  return {
    batched: read.batched,
    /** The rows, for the tenant the tenancy middleware resolved. */
    // A tenant route's context has every variable an AppEnv one has (Hono's Context is invariant in its env, hence the cast).
    result: (c: Context<TenantEnv>) => read.result(c as unknown as Context<AppEnv>, { env: c.env, userId: undefined, tenant: c.get('tenantCtx').db, query: c.req.query() }),
  };
}

/** The bounds of the request's page, the route having validated the query already; a forged cursor is a 400. */
function pageBounds(query: Record<string, string>): PageBounds | undefined {
  const page = pageOfQuery(query);
  return page && boundsOf(page);
}

/** The bounds of the request's page before the route validated it; null when the page is not valid (the route answers 400). */
function pageBoundsOrNone(query: Record<string, string>): PageBounds | null {
  try {
    return pageBounds(query) ?? null;
  } catch {
    return null;
  }
}

/**
 * GET /api/me's read: the signed-in person and the tenants they belong to.
 * A session's resolution outside tenant paths reads them with the caller, in
 * its one statement (`sessionUserWithTenants`), so the route costs one
 * statement, not a batch of two; otherwise (no batch happened) it is read
 * after the route's checks.
 */
export function callerWithTenantsRead() {
  const forUser = (scope: { env: Pick<Env, 'DB'>; userId: string | undefined }) => (scope.userId === undefined ? undefined : userWithTenants(scope.env, scope.userId));
  const read = batchedRead(forUser, () => undefined, { callerWithTenants: true });
  return {
    batched: read.batched,
    /** The rows, for the person authentication resolved. */
    result: (c: Context<AppEnv>) => {
      const principal = requirePrincipal(c);
      return read.result(c, { env: c.env, userId: principal.userId ?? undefined, tenant: undefined, query: c.req.query() });
    },
  };
}

/** The read the request's route declared, as a statement builder for the resolution's batch; undefined when it declared none. */
export function declaredCompanion(c: Context<AppEnv>): (DeclaredRead & { read: object }) | undefined {
  for (const route of matchedRoutes(c)) {
    const declaration = (route.handler as Partial<Record<typeof BATCHED_READ, Declaration>>)[BATCHED_READ];
    if (!declaration) continue;
    return {
      read: declaration.read,
      companionFor: (userId) => declaration.companion({ env: c.env, userId, slug: c.req.param('tenant'), query: c.req.query() }),
      callerWithTenants: declaration.callerWithTenants,
    };
  }
  return undefined;
}
