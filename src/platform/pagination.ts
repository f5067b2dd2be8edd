/**
 * The one way a list endpoint pages: `?cursor&limit` in, `nextCursor` out.
 * Keyset pagination on (a timestamp, the row id), so a page never skips or
 * repeats a row when rows are added meanwhile. The cursor is opaque to
 * clients (base64url of the last row's key); a forged one is a 400.
 */
import { and, eq, gt, lt, or, type Placeholder, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { z } from 'zod';
import { AppError } from './errors';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export const pageQuery = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
});
export type PageQuery = z.infer<typeof pageQuery>;

/** The page a request's raw query names, for a read built before the route validates it; undefined when it is not valid (the route answers 400). */
export function pageOfQuery(query: Record<string, string>): PageQuery | undefined {
  return pageQuery.safeParse(query).data;
}

interface CursorKey {
  at: number;
  id: string;
}

function encodeCursor(key: CursorKey): string {
  return btoa(JSON.stringify([key.at, key.id])).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeCursor(cursor: string): CursorKey {
  try {
    const [at, id] = JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))) as unknown[];
    if (typeof at === 'number' && typeof id === 'string') return { at, id };
  } catch {
    // Falls through to the 400 below.
  }
  throw new AppError('validation_failed', 'Invalid query', { fieldErrors: { cursor: ['Not a cursor from this list'] } });
}

/**
 * A page as a statement uses it: the key to read after (none on the first
 * page) and how many rows to read (one more than the page shows, to know
 * whether another follows). Values, or placeholders in a statement built
 * once per isolate (platform/db/compiled.ts).
 */
export interface PageBounds {
  after?: { at: number | Placeholder; id: string | Placeholder };
  rows: number | Placeholder;
}

/** The bounds of a valid page; a forged cursor is a 400. */
export function boundsOf(page: PageQuery): PageBounds {
  return { after: page.cursor ? decodeCursor(page.cursor) : undefined, rows: page.limit + 1 };
}

/** Rows after the page's key, in the list's order (`desc`: newest first); undefined on the first page or with no page. */
export function afterKey(bounds: PageBounds | undefined, at: SQLiteColumn, id: SQLiteColumn, order: 'asc' | 'desc'): SQL | undefined {
  if (!bounds?.after) return undefined;
  const beyond = order === 'desc' ? lt : gt;
  return or(beyond(at, bounds.after.at), and(eq(at, bounds.after.at), beyond(id, bounds.after.id)));
}

/** Splits the rows read for a page into the page and the cursor of the next (null on the last). */
export function toPage<T>(rows: readonly T[], page: PageQuery, keyOf: (row: T) => CursorKey): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(keyOf(last)) : null };
}
