import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

/** The policy's role ranking in SQL, for statements that compare roles (revoking keys above a new role). */
export function roleRankSql(role: SQLWrapper): SQL {
  return sql`(CASE ${role} WHEN 'owner' THEN 3 WHEN 'admin' THEN 2 ELSE 1 END)`;
}
