/** True when D1 refused a write because of a UNIQUE constraint (optionally on `column`, e.g. "users.email"). */
export function isUniqueViolation(err: unknown, column?: string): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes('UNIQUE constraint failed')) return column ? e.message.includes(column) : true;
  }
  return false;
}

/** True when D1 refused a write because a foreign key points at no row (its parent was deleted). */
export function isForeignKeyViolation(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes('FOREIGN KEY constraint failed')) return true;
  }
  return false;
}
