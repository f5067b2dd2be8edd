/**
 * Statements drizzle builds once per isolate instead of once per request.
 * Building a statement's SQL (drizzle walking its select, joins and
 * conditions) was a fifth of an authenticated read's CPU in the profile
 * (decision 0024): for the statements every request runs, it is done once,
 * with `sql.placeholder(name)` where a request's values go, and each request
 * binds its values to that SQL on its own D1 session.
 */
import { fillPlaceholders } from 'drizzle-orm';
import type { PreparedQueryConfig, SQLitePreparedQuery } from 'drizzle-orm/sqlite-core';
import { database, type Database } from './client';
import type { BatchStatement } from './global-db';

/** Building needs no database: drizzle's `prepare()` only names the SQL to its client, which keeps it for us. */
const BUILD_ONLY = { prepare: (query: string) => ({ query }) } as unknown as D1Database;

/**
 * A statement bound to one request's D1 and values, used like a drizzle
 * select: awaited alone for its rows, or handed to a drizzle batch, which
 * takes from it what it takes from every drizzle query (`_prepare()`: the
 * SQL, its bound parameters, and the mapping of D1's answer to typed rows).
 */
export type Bound<T extends PreparedQueryConfig> = SQLitePreparedQuery<T> & BatchStatement & PromiseLike<T['all']>;

/**
 * `build` runs once, on first use, with a handle that reaches no database;
 * its placeholders are filled from `values` on every call.
 */
export function compiled<T extends PreparedQueryConfig>(build: (db: Database) => SQLitePreparedQuery<T>): (d1: D1Database, values: Record<string, unknown>) => Bound<T> {
  let template: SQLitePreparedQuery<T> | undefined;
  return (d1, values) => {
    template ??= build(database(BUILD_ONLY));
    const { sql, params } = template.getQuery();
    // A view of the template with this request's statement and parameters; the row mapping is the template's own.
    // Object.create is typed `any`; the view is the template's type plus the two members defined just below.
    const bound = Object.create(template, {
      stmt: { value: d1.prepare(sql) },
      query: { value: { sql, params: fillPlaceholders(params, values) } },
    }) as Bound<T>;
    Object.defineProperties(bound, {
      _prepare: { value: () => bound },
      // `all()` is typed for drizzle's sync and async drivers alike; on D1 it is always a promise.
      then: { value: (...callbacks: Parameters<Promise<T['all']>['then']>) => (bound.all() as Promise<T['all']>).then(...callbacks) },
    });
    return bound;
  };
}
