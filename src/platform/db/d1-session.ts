/**
 * Read replicas through the D1 Sessions API (decision 0018-round-trips-and-read-replicas).
 * Each request runs in one D1 session, so its reads are sequentially
 * consistent: no read sees older data than one before it.
 *
 * - A request that carries a credential, or writes, starts at the primary
 *   ('first-primary'): its first statement is who and where (the permission
 *   check, platform/auth/middleware.ts) or its write, and that must be
 *   fresh. Its later reads may come from a replica no older than that.
 * - An anonymous read starts at the client's bookmark when it sends one
 *   (`X-D1-Bookmark`, or the pages' cookie), else anywhere: at least as
 *   fresh as the client's own last write, which is all it may ask for.
 * Every response that touched D1 carries the session's bookmark, in the
 * header and, for pages, in a cookie, for the client to send back.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { uninstrumented, withDatabase } from '../observe/instrument';

export const BOOKMARK_HEADER = 'X-D1-Bookmark';
const BOOKMARK_COOKIE = 'd1b';

/** D1's bookmarks are hex groups joined by dashes; anything else is refused before it reaches D1. */
const bookmark = z
  .string()
  .max(256)
  .regex(/^[0-9a-f]+(-[0-9a-f]+)*$/i);

const READS = new Set(['GET', 'HEAD']);

/** A D1Database whose statements and batches run in `session` (drizzle needs only prepare and batch). */
function sessionDatabase(db: D1Database, session: D1DatabaseSession): D1Database {
  return {
    prepare: (query) => session.prepare(query),
    batch: (statements) => session.batch(statements),
    exec: (query) => db.exec(query),
    withSession: (constraint) => db.withSession(constraint),
    dump: () => db.dump(),
  };
}

function hasCredential(c: Context<AppEnv>): boolean {
  return c.req.header('Authorization') !== undefined || getCookie(c, 'sid') !== undefined;
}

/** The bookmark the client sent back (header, else the pages' cookie). A malformed one is a hint we ignore: it only ever makes a read fresher. */
function clientBookmark(c: Context<AppEnv>): string | undefined {
  const sent = bookmark.safeParse(c.req.header(BOOKMARK_HEADER) ?? getCookie(c, BOOKMARK_COOKIE));
  return sent.success ? sent.data : undefined;
}

/** Pages (HTML, and their redirects after a form) keep the bookmark in a cookie; API clients read the header. */
function isPageResponse(res: Response): boolean {
  return (res.headers.get('Content-Type')?.startsWith('text/html') ?? false) || (res.status >= 300 && res.status < 400);
}

/** Runs the request in one D1 session (`c.env.DB` is the session) and returns its bookmark. */
export function d1Session(): MiddlewareHandler<AppEnv> {
  return async function d1SessionMiddleware(c, next) {
    const fresh = hasCredential(c) || !READS.has(c.req.method);
    const start = fresh ? 'first-primary' : (clientBookmark(c) ?? 'first-unconstrained');
    // The session is opened on the runtime's binding and then counted like any
    // binding (observe/instrument.ts), so metering sees the session's statements.
    const raw = uninstrumented(c.env).DB;
    const session = raw.withSession(start);
    c.env = withDatabase(c.env, sessionDatabase(raw, session));
    await next();
    const latest = session.getBookmark();
    if (!latest) return;
    c.header(BOOKMARK_HEADER, latest);
    if (isPageResponse(c.res)) setCookie(c, BOOKMARK_COOKIE, latest, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
  };
}
