/**
 * Migration safety check: `npm run check:migrations [-- <dir>]`.
 *
 * Migrations run before the new code is deployed, and a rollback only rolls
 * back code. So every migration must leave a schema that the code already live
 * (and the version we might roll back to) can still run on. Destructive or
 * locking statements are rejected unless a marker comment says which
 * expand/contract step they complete; see docs/operations/deploy.md#expand-contract.
 *
 * The SQL is tokenized (comments, strings and quoted identifiers handled as
 * SQLite does) before any statement is matched, so a keyword inside a string
 * or a comment never trips a rule and a quoted name is still a name.
 *
 * Runs on Node 22 directly (type stripping): only erasable TypeScript here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DOCS_ANCHOR = 'docs/operations/deploy.md#expand-contract';

/** Tables that belong to no tenant. Every other table must carry `tenant_id`. */
export const GLOBAL_TABLES: ReadonlySet<string> = new Set(['users', 'tenants', 'stripe_events']);
/** SQLite, D1, Cloudflare and drizzle bookkeeping tables. */
const INTERNAL_TABLE = /^(sqlite_|d1_|_cf_|__drizzle)/i;

export type Rule =
  | 'drop-table'
  | 'drop-column'
  | 'rename-table'
  | 'rename-column'
  | 'table-rebuild'
  | 'add-not-null-column'
  | 'tenant-table'
  | 'marker';

/** Rules that a `contract` marker can acknowledge. */
const CONTRACT_RULES: ReadonlySet<string> = new Set<Rule>([
  'drop-table',
  'drop-column',
  'rename-table',
  'rename-column',
  'table-rebuild',
]);

export interface MigrationFile {
  /** File name, e.g. `0004_add_display_name.sql`. */
  name: string;
  sql: string;
}

export interface Violation {
  /** Path as shown to the reader, e.g. `migrations/0004_x.sql`. */
  file: string;
  line: number;
  rule: Rule;
  /** The offending statement on one line (shortened). */
  statement: string;
  /** What is wrong and what to do. */
  message: string;
}

// ---------------------------------------------------------------------------
// Tokenizer

type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'punct';

interface Token {
  kind: TokenKind;
  /** Lower-cased keyword, unquoted identifier (lower-cased), or the raw text. */
  value: string;
  line: number;
  start: number;
  end: number;
}

interface LineComment {
  text: string;
  line: number;
}

function tokenize(sql: string): { tokens: Token[]; comments: LineComment[] } {
  const tokens: Token[] = [];
  const comments: LineComment[] = [];
  let i = 0;
  let line = 1;
  const n = sql.length;
  const countLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (sql[k] === '\n') line++;
  };
  /** Reads a quoted run closed by `close`, where a doubled `close` is an escaped one. */
  const readQuoted = (open: number, close: string): { text: string; end: number } => {
    let text = '';
    let k = open + 1;
    while (k < n) {
      if (sql[k] === close) {
        if (close !== ']' && sql[k + 1] === close) {
          text += close;
          k += 2;
          continue;
        }
        return { text, end: k + 1 };
      }
      text += sql[k];
      k++;
    }
    return { text, end: n };
  };

  while (i < n) {
    const c = sql[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      const end = nl === -1 ? n : nl;
      comments.push({ text: sql.slice(i + 2, end), line });
      i = end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      const end = close === -1 ? n : close + 2;
      countLines(i, end);
      i = end;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const startLine = line;
      const { text, end } = readQuoted(i, c === '[' ? ']' : c);
      countLines(i, end);
      tokens.push({
        kind: c === "'" ? 'string' : 'ident',
        value: c === "'" ? text : text.toLowerCase(),
        line: startLine,
        start: i,
        end,
      });
      i = end;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let k = i + 1;
      while (k < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[k]!)) k++;
      tokens.push({ kind: 'word', value: sql.slice(i, k).toLowerCase(), line, start: i, end: k });
      i = k;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      let k = i + 1;
      while (k < n && /[0-9A-Za-z_.]/.test(sql[k]!)) k++;
      tokens.push({ kind: 'number', value: sql.slice(i, k), line, start: i, end: k });
      i = k;
    } else {
      tokens.push({ kind: 'punct', value: c, line, start: i, end: i + 1 });
      i++;
    }
  }
  return { tokens, comments };
}

interface Statement {
  tokens: Token[];
  line: number;
  text: string;
}

/** Splits on `;`, keeping a trigger body (BEGIN … END) in one statement. */
function splitStatements(sql: string, tokens: Token[]): Statement[] {
  const statements: Statement[] = [];
  let current: Token[] = [];
  let inTrigger = false;
  let inBody = false;
  let caseDepth = 0;
  const flush = () => {
    if (current.length > 0) {
      const first = current[0]!;
      const last = current[current.length - 1]!;
      statements.push({
        tokens: current,
        line: first.line,
        text: sql.slice(first.start, last.end).replace(/\s+/g, ' '),
      });
    }
    current = [];
    inTrigger = false;
    inBody = false;
    caseDepth = 0;
  };
  for (const t of tokens) {
    if (t.kind === 'punct' && t.value === ';' && (!inTrigger || !inBody)) {
      flush();
      continue;
    }
    current.push(t);
    if (t.kind !== 'word') continue;
    if (current.length <= 3 && t.value === 'trigger' && current[0]?.value === 'create') inTrigger = true;
    else if (inTrigger && !inBody && t.value === 'begin') inBody = true;
    else if (inBody && t.value === 'case') caseDepth++;
    else if (inBody && t.value === 'end') {
      if (caseDepth > 0) caseDepth--;
      else inBody = false;
    }
  }
  flush();
  return statements;
}

// ---------------------------------------------------------------------------
// Statement parsing

type Op =
  | { kind: 'create-table'; table: string; columns: ColumnDef[]; foreignKeys: ForeignKey[]; asSelect: boolean }
  | { kind: 'drop-table'; table: string }
  | { kind: 'rename-table'; table: string; to: string }
  | { kind: 'rename-column'; table: string; column: string; to: string }
  | { kind: 'drop-column'; table: string; column: string }
  | { kind: 'add-column'; table: string; column: ColumnDef };

interface ColumnDef {
  name: string;
  notNull: boolean;
  hasDefault: boolean;
}

interface ForeignKey {
  columns: string[];
  table: string;
  onDeleteCascade: boolean;
}

/** Whether `ON DELETE CASCADE` follows the REFERENCES clause at `ref`. */
function cascades(tokens: Token[], ref: number): boolean {
  for (let i = ref + 1; i + 2 < tokens.length; i++) {
    if (isWord(tokens[i], 'references')) return false;
    if (isWord(tokens[i], 'on') && isWord(tokens[i + 1], 'delete')) return isWord(tokens[i + 2], 'cascade');
  }
  return false;
}

const isWord = (t: Token | undefined, ...words: string[]) => t?.kind === 'word' && words.includes(t.value);
const isPunct = (t: Token | undefined, p: string) => t?.kind === 'punct' && t.value === p;
const isName = (t: Token | undefined) => t?.kind === 'word' || t?.kind === 'ident' || t?.kind === 'string';

/** Reads `[schema.]name` at `i`; returns the name and the index after it. */
function readName(tokens: Token[], i: number): { name: string; next: number } | undefined {
  if (!isName(tokens[i])) return undefined;
  if (isPunct(tokens[i + 1], '.') && isName(tokens[i + 2])) return { name: tokens[i + 2]!.value, next: i + 3 };
  return { name: tokens[i]!.value, next: i + 1 };
}

/** Splits the tokens between `(` at `open` and its match into comma-separated parts. */
function splitParenthesized(tokens: Token[], open: number): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (let i = open + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isPunct(t, '(')) depth++;
    if (isPunct(t, ')')) {
      if (depth === 0) break;
      depth--;
    }
    if (depth === 0 && isPunct(t, ',')) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts;
}

/** Tokens at parenthesis depth 0 (drops CHECK (...) bodies, type arguments, and so on). */
function topLevel(tokens: Token[]): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0) out.push(t);
  }
  return out;
}

function parseColumn(tokens: Token[]): ColumnDef | undefined {
  const name = tokens[0];
  if (!isName(name)) return undefined;
  const top = topLevel(tokens.slice(1));
  let notNull = false;
  let hasDefault = false;
  for (let i = 0; i < top.length; i++) {
    if (isWord(top[i], 'not') && isWord(top[i + 1], 'null')) notNull = true;
    // `ON DELETE SET DEFAULT` is a foreign-key action, not a column default.
    // `DEFAULT NULL` is no default for a NOT NULL column; `DEFAULT (expr)` is (its parentheses are dropped here).
    if (isWord(top[i], 'default') && !isWord(top[i - 1], 'set')) hasDefault = !isWord(top[i + 1], 'null');
  }
  return { name: name!.value, notNull, hasDefault };
}

function parseCreateTable(tokens: Token[]): Op | undefined {
  let i = 1;
  if (isWord(tokens[i], 'temp', 'temporary')) i++;
  if (!isWord(tokens[i], 'table')) return undefined;
  i++;
  if (isWord(tokens[i], 'if') && isWord(tokens[i + 1], 'not') && isWord(tokens[i + 2], 'exists')) i += 3;
  const name = readName(tokens, i);
  if (!name) return undefined;
  if (isWord(tokens[name.next], 'as')) {
    return { kind: 'create-table', table: name.name, columns: [], foreignKeys: [], asSelect: true };
  }
  if (!isPunct(tokens[name.next], '(')) return undefined;
  const columns: ColumnDef[] = [];
  const foreignKeys: ForeignKey[] = [];
  for (const part of splitParenthesized(tokens, name.next)) {
    let p = part;
    if (isWord(p[0], 'constraint')) p = p.slice(2);
    if (isWord(p[0], 'foreign') && isWord(p[1], 'key') && isPunct(p[2], '(')) {
      const cols = splitParenthesized(p, 2).map((c) => c[0]?.value ?? '');
      const ref = p.findIndex((t) => isWord(t, 'references'));
      const target = ref === -1 ? undefined : readName(p, ref + 1);
      if (target) foreignKeys.push({ columns: cols, table: target.name, onDeleteCascade: cascades(p, ref) });
    } else if (isWord(p[0], 'primary', 'unique', 'check')) {
      continue;
    } else {
      const column = parseColumn(part);
      if (!column) continue;
      columns.push(column);
      const top = topLevel(part.slice(1));
      const ref = top.findIndex((t) => isWord(t, 'references'));
      const target = ref === -1 ? undefined : readName(top, ref + 1);
      if (target) foreignKeys.push({ columns: [column.name], table: target.name, onDeleteCascade: cascades(top, ref) });
    }
  }
  return { kind: 'create-table', table: name.name, columns, foreignKeys, asSelect: false };
}

function parseStatement(tokens: Token[]): Op | undefined {
  if (isWord(tokens[0], 'create')) return parseCreateTable(tokens);
  if (isWord(tokens[0], 'drop') && isWord(tokens[1], 'table')) {
    let i = 2;
    if (isWord(tokens[i], 'if') && isWord(tokens[i + 1], 'exists')) i += 2;
    const name = readName(tokens, i);
    return name && { kind: 'drop-table', table: name.name };
  }
  if (!(isWord(tokens[0], 'alter') && isWord(tokens[1], 'table'))) return undefined;
  const name = readName(tokens, 2);
  if (!name) return undefined;
  const table = name.name;
  let i = name.next;
  const action = tokens[i];
  if (isWord(action, 'rename')) {
    i++;
    if (isWord(tokens[i], 'to')) {
      const to = readName(tokens, i + 1);
      return to && { kind: 'rename-table', table, to: to.name };
    }
    if (isWord(tokens[i], 'column')) i++;
    const column = tokens[i];
    const to = tokens[i + 2];
    if (isName(column) && isWord(tokens[i + 1], 'to') && isName(to)) {
      return { kind: 'rename-column', table, column: column!.value, to: to!.value };
    }
    return undefined;
  }
  if (isWord(action, 'drop')) {
    i++;
    if (isWord(tokens[i], 'column')) i++;
    return isName(tokens[i]) ? { kind: 'drop-column', table, column: tokens[i]!.value } : undefined;
  }
  if (isWord(action, 'add')) {
    i++;
    if (isWord(tokens[i], 'column')) i++;
    const column = parseColumn(tokens.slice(i));
    return column && { kind: 'add-column', table, column };
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Markers

const MARKER_PREFIX = /^\s*migration-safety\s*:/i;
const CONTRACT_MARKER = /^\s*migration-safety:\s*contract\s+(\S+)\s+(\S+)\s+\(expand was\s+([^)]+?)\s*\)\s*$/i;
const GLOBAL_MARKER = /^\s*migration-safety:\s*global-table\s+(\S+)\s+\(([^)]*)\)\s*$/i;
const RELEASE_TAG = /^release\s+v\d+\.\d+\.\d+\S*$/i;

interface ContractMarker {
  rule: string;
  target: string;
  line: number;
  used: boolean;
}

const unquote = (s: string) => s.replace(/[`"[\]]/g, '').toLowerCase();
const migrationTag = (name: string) => name.replace(/\.sql$/i, '');

/** The line to paste into a migration to acknowledge `rule` on `target`. */
export function contractMarker(rule: string, target: string, expand = '<earlier migration, or release vX.Y.Z>'): string {
  return `-- migration-safety: contract ${rule} ${target} (expand was ${expand})`;
}

// ---------------------------------------------------------------------------
// The check

const WHY_LIVE_CODE =
  'Migrations are applied before the new code is deployed, and `wrangler rollback` restores old code but never the old schema, ' +
  'so the Worker version running during and after this migration (and the one you would roll back to) must still work on the new schema.';

function explain(rule: Rule, target: string, children: string[] = []): string {
  const cascade =
    children.length > 0
      ? ` On D1 foreign keys are always ON, so it also deletes, through ON DELETE CASCADE, the matching rows of: ${children.join(', ')}.`
      : '';
  const marker = contractMarker(rule, target);
  const acknowledge =
    `If this IS the contract step (no deployed code, including the version you would roll back to, uses ${target} any more), ` +
    `add this line to the migration file:\n    ${marker}\n  See ${DOCS_ANCHOR}`;
  switch (rule) {
    case 'drop-table':
      return `Dropping table ${target} deletes its data and breaks every deployed version that still reads it.${cascade} ${WHY_LIVE_CODE}\n  Do instead: first ship code that no longer uses the table (expand), drop it in a later release (contract).\n  ${acknowledge}`;
    case 'drop-column':
      return `Dropping column ${target} deletes its data and breaks every deployed version that still reads or writes it. ${WHY_LIVE_CODE}\n  Do instead: first ship code that no longer uses the column, drop it in a later release.\n  ${acknowledge}`;
    case 'rename-table':
      return `Renaming table ${target} breaks the deployed code, which still uses the old name. ${WHY_LIVE_CODE}\n  Do instead: create the new table, write to both and backfill (expand), switch reads, and drop the old table in a later release (contract).\n  ${acknowledge}`;
    case 'rename-column':
      return `Renaming column ${target} breaks the deployed code, which still uses the old name. ${WHY_LIVE_CODE}\n  Do instead: add the new column, write both and backfill (expand), switch reads, and drop the old column in a later release (contract) — the worked example is in the doc.\n  ${acknowledge}`;
    case 'table-rebuild':
      return (
        `This migration rebuilds table ${target} (CREATE TABLE new … INSERT … SELECT … DROP TABLE ${target} … RENAME), as drizzle-kit generates for SQLite column changes. ` +
        `It copies every row while holding D1's single writer, and on D1 foreign keys stay ON (PRAGMA foreign_keys=OFF is ignored; defer_foreign_keys defers checks, not actions), ` +
        (children.length > 0
          ? `so DROP TABLE ${target} fires ON DELETE CASCADE and deletes the rows of every table that references it: ${children.join(', ')}.\n`
          : `so DROP TABLE ${target} would fire ON DELETE CASCADE on any table that references it.\n`) +
        `  Do instead: an additive change (new nullable column or new table) plus a backfill, enforcing the constraint in code.\n  ${acknowledge}`
      );
    default:
      return '';
  }
}

interface TableState {
  /** Tables that exist before the migration being checked, with their foreign keys. */
  tables: Map<string, ForeignKey[]>;
}

/** Existing tables whose rows `DROP TABLE table` deletes through ON DELETE CASCADE. */
function cascadingChildren(state: TableState, table: string): string[] {
  return [...state.tables]
    .filter(([child, fks]) => child !== table && fks.some((fk) => fk.table === table && fk.onDeleteCascade))
    .map(([child]) => child)
    .sort();
}

/**
 * Checks migration files in the order D1 applies them (by file name) and
 * returns every violation. `dir` is only used to print file paths.
 */
export function checkMigrations(files: MigrationFile[], dir = 'migrations'): Violation[] {
  const sorted = [...files].sort((a, b) => a.name.localeCompare(b.name));
  const violations: Violation[] = [];
  const state: TableState = { tables: new Map() };
  const seenPrefixes = new Map<string, string>();

  sorted.forEach((file, index) => {
    const filePath = `${dir}/${file.name}`;
    const add = (line: number, rule: Rule, statement: string, message: string) =>
      violations.push({ file: filePath, line, rule, statement, message });

    const prefix = /^(\d+)_/.exec(file.name)?.[1];
    if (!prefix) {
      add(1, 'marker', file.name, `Migration file names start with a number and an underscore (0001_add_x.sql) so they apply in order.`);
    } else if (seenPrefixes.has(prefix)) {
      add(
        1,
        'marker',
        file.name,
        `Two migrations share the number ${prefix} (${seenPrefixes.get(prefix)} and ${file.name}): their order is arbitrary. Renumber the newer one (and its drizzle journal entry).`,
      );
    } else {
      seenPrefixes.set(prefix, file.name);
    }

    const { tokens, comments } = tokenize(file.sql);
    const statements = splitStatements(file.sql, tokens);
    const earlier = new Set(sorted.slice(0, index).map((f) => migrationTag(f.name).toLowerCase()));

    // Markers.
    const contracts: ContractMarker[] = [];
    const globalTables = new Map<string, { line: number; used: boolean }>();
    for (const comment of comments) {
      if (!MARKER_PREFIX.test(comment.text)) continue;
      const marker = `--${comment.text}`.trim();
      const contract = CONTRACT_MARKER.exec(comment.text);
      const global = GLOBAL_MARKER.exec(comment.text);
      if (contract) {
        const [rule, target, expand] = [contract[1] ?? '', contract[2] ?? '', (contract[3] ?? '').trim()];
        if (!CONTRACT_RULES.has(rule)) {
          const hint =
            rule === 'add-not-null-column'
              ? 'SQLite refuses ADD COLUMN … NOT NULL without a DEFAULT, so no marker can make it run: give the column a DEFAULT.'
              : rule === 'tenant-table'
                ? 'For a table that really is global, use: -- migration-safety: global-table <table> (<why it has no tenant>)'
                : `Known contract steps: ${[...CONTRACT_RULES].join(', ')}.`;
          add(comment.line, 'marker', marker, `Unknown contract step "${rule}". ${hint}`);
          continue;
        }
        if (!RELEASE_TAG.test(expand) && !earlier.has(migrationTag(expand).toLowerCase())) {
          add(
            comment.line,
            'marker',
            marker,
            `The marker says the expand step was "${expand}", which is not an earlier migration in ${dir}/. ` +
              `Name the earlier migration that made the expand change (e.g. 0004_add_display_name), or "release vX.Y.Z" when the expand step was code only. See ${DOCS_ANCHOR}`,
          );
          continue;
        }
        contracts.push({ rule, target: unquote(target), line: comment.line, used: false });
      } else if (global) {
        const [table, reason] = [global[1] ?? '', global[2] ?? ''];
        if (reason.trim() === '') {
          add(comment.line, 'marker', marker, 'A global-table marker needs a reason in parentheses: why does this table belong to no tenant?');
          continue;
        }
        globalTables.set(unquote(table), { line: comment.line, used: false });
      } else {
        add(
          comment.line,
          'marker',
          marker,
          `Unrecognised migration-safety marker. Use\n    ${contractMarker('<step>', '<table or table.column>')}\n  or\n    -- migration-safety: global-table <table> (<why it has no tenant>)\n  See ${DOCS_ANCHOR}`,
        );
      }
    }

    const acknowledged = (rule: Rule, target: string) => {
      const hit = contracts.filter((m) => m.rule === rule && m.target === target);
      for (const m of hit) m.used = true;
      return hit.length > 0;
    };

    const parsed = statements.map((s) => ({ s, op: parseStatement(s.tokens) }));
    const createdHere = new Set<string>();
    /** Final name of a table created here, when a later RENAME in this file gives it one. */
    const finalName = new Map<string, string>();
    /** Existing tables that this file rebuilds: dropped, then replaced by a renamed new table. */
    const rebuilt = new Set<string>();
    {
      const created = new Set<string>();
      const dropped = new Set<string>();
      for (const { op } of parsed) {
        if (op?.kind === 'create-table') created.add(op.table);
        if (op?.kind === 'drop-table') dropped.add(op.table);
        if (op?.kind === 'rename-table' && created.has(op.table)) {
          finalName.set(op.table, op.to);
          if (dropped.has(op.to) && state.tables.has(op.to)) rebuilt.add(op.to);
        }
      }
    }

    for (const { s, op } of parsed) {
      if (!op) continue;
      switch (op.kind) {
        case 'create-table': {
          createdHere.add(op.table);
          checkTenantTable(op, finalName.get(op.table) ?? op.table, globalTables, (msg) =>
            add(s.line, 'tenant-table', s.text, msg),
          );
          break;
        }
        case 'drop-table': {
          const fresh = createdHere.has(op.table) && !state.tables.has(op.table);
          if (fresh) break;
          if (rebuilt.has(op.table)) {
            if (!acknowledged('table-rebuild', op.table))
              add(s.line, 'table-rebuild', s.text, explain('table-rebuild', op.table, cascadingChildren(state, op.table)));
          } else if (!acknowledged('drop-table', op.table)) {
            add(s.line, 'drop-table', s.text, explain('drop-table', op.table, cascadingChildren(state, op.table)));
          }
          break;
        }
        case 'rename-table': {
          if (createdHere.has(op.table)) break;
          if (!acknowledged('rename-table', op.table)) add(s.line, 'rename-table', s.text, explain('rename-table', op.table));
          break;
        }
        case 'rename-column':
        case 'drop-column': {
          if (createdHere.has(op.table) && !state.tables.has(op.table)) break;
          const target = `${op.table}.${op.column}`;
          if (!acknowledged(op.kind, target)) add(s.line, op.kind, s.text, explain(op.kind, target));
          break;
        }
        case 'add-column': {
          if (op.column.notNull && !op.column.hasDefault) {
            add(
              s.line,
              'add-not-null-column',
              s.text,
              `Adding ${op.table}.${op.column.name} as NOT NULL without a DEFAULT: SQLite refuses it ("Cannot add a NOT NULL column with default value NULL"), and the deployed code does not write the column yet.\n` +
                `  Do instead: add it with a DEFAULT (ADD COLUMN ${op.column.name} … NOT NULL DEFAULT <value>), or add it nullable, backfill, and require it in code. No marker can allow this one.\n  See ${DOCS_ANCHOR}`,
            );
          }
          break;
        }
      }
    }

    for (const m of contracts) {
      if (!m.used) {
        add(
          m.line,
          'marker',
          contractMarker(m.rule, m.target, '…'),
          `This contract marker matches no ${m.rule} statement on ${m.target} in this migration. Remove it, or fix the step/target (table, or table.column for columns).`,
        );
      }
    }
    for (const [table, m] of globalTables) {
      if (!createdHere.has(table) && ![...finalName.values()].includes(table)) {
        add(m.line, 'marker', `-- migration-safety: global-table ${table}`, `This global-table marker names ${table}, which this migration does not create.`);
      }
    }

    // Advance the schema state to after this migration.
    for (const { op } of parsed) {
      if (op?.kind === 'create-table') state.tables.set(op.table, op.foreignKeys);
      if (op?.kind === 'drop-table') state.tables.delete(op.table);
      if (op?.kind === 'rename-table') {
        state.tables.set(op.to, state.tables.get(op.table) ?? []);
        state.tables.delete(op.table);
      }
    }
  });

  return violations;
}

function checkTenantTable(
  op: Extract<Op, { kind: 'create-table' }>,
  table: string,
  globalTables: Map<string, { used: boolean }>,
  report: (message: string) => void,
): void {
  if (GLOBAL_TABLES.has(table) || INTERNAL_TABLE.test(table)) return;
  const global = globalTables.get(table) ?? globalTables.get(op.table);
  if (global) {
    global.used = true;
    return;
  }
  const how =
    `Every tenant table carries \`tenant_id\` text NOT NULL REFERENCES tenants(id), so tenant isolation holds in the database.\n` +
    `  If ${table} really belongs to no tenant, say so in the migration:\n    -- migration-safety: global-table ${table} (<why it has no tenant>)\n  See ${DOCS_ANCHOR}`;
  if (op.asSelect) {
    report(`CREATE TABLE ${table} AS SELECT: the check cannot see its columns. Declare the columns explicitly, with tenant_id.\n  ${how}`);
    return;
  }
  const tenantId = op.columns.find((c) => c.name === 'tenant_id');
  if (!tenantId) {
    report(`Table ${table} is tenant data but has no tenant_id column.\n  ${how}`);
    return;
  }
  if (!tenantId.notNull) report(`${table}.tenant_id must be NOT NULL: a row without a tenant is visible to no one, or to everyone.\n  ${how}`);
  const fk = op.foreignKeys.some((f) => f.table === 'tenants' && f.columns.length === 1 && f.columns[0] === 'tenant_id');
  if (!fk) report(`${table}.tenant_id must reference tenants(id) (a foreign key), so a row cannot outlive or escape its tenant.\n  ${how}`);
}

/** Reads `*.sql` from `dir` (not recursive: D1 applies only the top level). */
export function readMigrations(dir: string): MigrationFile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => ({ name, sql: readFileSync(path.join(dir, name), 'utf8') }));
}

export function formatViolations(violations: Violation[]): string {
  return violations
    .map((v) => {
      const statement = v.statement.length > 160 ? `${v.statement.slice(0, 157)}...` : v.statement;
      return `${v.file}:${v.line} [${v.rule}] ${statement}\n  ${v.message}`;
    })
    .join('\n\n');
}

function main(argv: string[]): number {
  const dir = argv[0] ?? 'migrations';
  const files = readMigrations(dir);
  const violations = checkMigrations(files, dir.replace(/\/+$/, ''));
  if (violations.length > 0) {
    console.error(formatViolations(violations));
    console.error(`\n✗ ${violations.length} migration safety problem(s) in ${files.length} migration(s).`);
    return 1;
  }
  console.log(`✓ ${files.length} migration(s) in ${dir}/ pass the safety check.`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
