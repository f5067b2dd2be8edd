/** Random, unguessable identifiers with a readable type prefix (`prj_…`, `usr_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll('-', '')}`;
}
