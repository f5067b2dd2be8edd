import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, test } from 'vitest';
import { checkMigrations, formatViolations, readMigrations, type Violation } from '../../scripts/check-migrations';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MIGRATIONS = path.join(ROOT, 'migrations');
const SCHEMA = path.join(ROOT, 'src/platform/db/schema.ts');
const CHECK_SCRIPT = path.join(ROOT, 'scripts/check-migrations.ts');
const DRIZZLE_KIT = path.join(ROOT, 'node_modules/drizzle-kit/bin.cjs');
const WRANGLER = path.join(ROOT, 'node_modules/wrangler/bin/wrangler.js');

const scratch: string[] = [];
function tempDir(label: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `saas-slice-${label}-`));
  scratch.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Runs a Node script with the Node that runs the tests (22, from the `node` devDependency). */
function runNode(args: string[], options: { cwd?: string; timeout?: number } = {}) {
  const result = spawnSync(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: options.timeout ?? 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', WRANGLER_SEND_METRICS: 'false' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, timedOut: result.error !== undefined };
}

// --- Fixtures ---------------------------------------------------------------
// A small schema in drizzle-kit's style: two global tables and one tenant table
// whose child cascades, so a rebuild of `projects` really would delete rows.

const BASE = `CREATE TABLE \`tenants\` (
	\`id\` text PRIMARY KEY NOT NULL,
	\`slug\` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE \`users\` (
	\`id\` text PRIMARY KEY NOT NULL,
	\`email\` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE \`projects\` (
	\`id\` text PRIMARY KEY NOT NULL,
	\`tenant_id\` text NOT NULL,
	\`name\` text NOT NULL,
	\`legacy_name\` text,
	FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX \`projects_tenant_id_uq\` ON \`projects\` (\`tenant_id\`,\`id\`);--> statement-breakpoint
CREATE TABLE \`project_notes\` (
	\`id\` text PRIMARY KEY NOT NULL,
	\`tenant_id\` text NOT NULL,
	\`project_id\` text NOT NULL,
	FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (\`tenant_id\`,\`project_id\`) REFERENCES \`projects\`(\`tenant_id\`,\`id\`) ON UPDATE no action ON DELETE cascade
);
`;

/** What drizzle-kit generates for SQLite when a column's constraints change. */
const DRIZZLE_REBUILD = `PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE \`__new_projects\` (
	\`id\` text PRIMARY KEY NOT NULL,
	\`tenant_id\` text NOT NULL,
	\`name\` text,
	\`legacy_name\` text,
	FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO \`__new_projects\`("id", "tenant_id", "name", "legacy_name") SELECT "id", "tenant_id", "name", "legacy_name" FROM \`projects\`;--> statement-breakpoint
DROP TABLE \`projects\`;--> statement-breakpoint
ALTER TABLE \`__new_projects\` RENAME TO \`projects\`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX \`projects_tenant_id_uq\` ON \`projects\` (\`tenant_id\`,\`id\`);
`;

function fixture(files: Record<string, string>): string {
  const dir = tempDir('fixture');
  writeFileSync(path.join(dir, '0000_base.sql'), BASE);
  for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(dir, name), sql);
  return dir;
}

function check(files: Record<string, string>): Violation[] {
  return checkMigrations(readMigrations(fixture(files)));
}

const rules = (violations: Violation[]) => violations.map((v) => `${v.file.split('/').pop()}:${v.line} ${v.rule}`);

// --- The repository's own migrations -----------------------------------------

describe('the repository migrations', () => {
  test('pass the safety check', () => {
    const violations = checkMigrations(readMigrations(MIGRATIONS));
    // The same report `npm run check:migrations` prints: statement, file:line, what to do.
    if (violations.length > 0) expect.fail(`\n${formatViolations(violations)}\n`);
  });

  test('apply from zero to a local D1 database (wrangler d1 migrations apply --local)', () => {
    const persist = tempDir('d1');
    const run = runNode([WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], { timeout: 120_000 });
    expect(run.status, run.output).toBe(0);
    for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql'))) {
      expect(run.output, `${file} was not applied`).toMatch(new RegExp(`${file.replace('.', '\\.')}\\s*│\\s*✅`));
    }
  }, 130_000);

  test('agree with the drizzle schema: drizzle-kit generate finds nothing to migrate', () => {
    // A copy, so a schema change would be written to the copy and never into migrations/.
    const work = tempDir('drizzle');
    cpSync(MIGRATIONS, path.join(work, 'migrations'), { recursive: true });
    const before = snapshotDir(path.join(work, 'migrations'));
    const run = runNode([DRIZZLE_KIT, 'generate', '--dialect', 'sqlite', '--schema', SCHEMA, '--out', './migrations'], {
      cwd: work,
      timeout: 30_000,
    });
    const hint =
      'src/platform/db/schema.ts and migrations/ disagree: run `npx drizzle-kit generate --name <what_changed>` and commit the migration' +
      (run.timedOut ? ' (drizzle-kit asked an interactive question, e.g. rename or create: run it in a terminal)' : '');
    expect(run.status, `${hint}\n${run.output}`).toBe(0);
    expect(run.output, hint).toContain('No schema changes');
    expect(snapshotDir(path.join(work, 'migrations')), hint).toEqual(before);
  }, 40_000);

  test('produce exactly the schema drizzle describes (the SQL was not edited away from the snapshot)', () => {
    const fresh = tempDir('drizzle-fresh');
    const run = runNode([DRIZZLE_KIT, 'generate', '--dialect', 'sqlite', '--schema', SCHEMA, '--out', './out'], {
      cwd: fresh,
      timeout: 30_000,
    });
    expect(run.status, run.output).toBe(0);
    const fromSchema = applyAll(readMigrations(path.join(fresh, 'out')));
    const fromMigrations = applyAll(readMigrations(MIGRATIONS));
    expect(describeSchema(fromMigrations)).toEqual(describeSchema(fromSchema));
  }, 40_000);
});

function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** Applies migrations in file-name order to an in-memory SQLite with foreign keys on, as D1 has them. */
function applyAll(files: { name: string; sql: string }[]): DatabaseSync {
  const db = new DatabaseSync(':memory:');
  db.exec('PRAGMA foreign_keys = ON');
  for (const file of [...files].sort((a, b) => a.name.localeCompare(b.name))) db.exec(file.sql);
  return db;
}

function describeSchema(db: DatabaseSync) {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    .all()
    .map((row) => String(row.name));
  return Object.fromEntries(
    tables.map((table) => [
      table,
      {
        columns: db.prepare('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid').all(table),
        indexes: db
          .prepare('SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY name')
          .all(table)
          .map((index) => ({
            ...index,
            columns: db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(String(index.name)).map((c) => c.name),
          })),
        foreignKeys: db
          .prepare('SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq')
          .all(table),
      },
    ]),
  );
}

// --- Rules, each on a fixture -------------------------------------------------

describe('npm run check:migrations', () => {
  test('fails a destructive migration with what to do, and passes its marked contract version', () => {
    const bad = fixture({
      '0001_add_display_name.sql': 'ALTER TABLE `projects` ADD `display_name` text;\n',
      '0002_drop_legacy_name.sql': '-- The display name replaced it.\nALTER TABLE `projects` DROP COLUMN `legacy_name`;\n',
    });
    const failed = runNode([CHECK_SCRIPT, bad]);
    expect(failed.status).toBe(1);
    expect(failed.output).toContain(`${bad}/0002_drop_legacy_name.sql:2 [drop-column] ALTER TABLE \`projects\` DROP COLUMN \`legacy_name\``);
    expect(failed.output).toContain('first ship code that no longer uses the column');
    expect(failed.output).toContain('-- migration-safety: contract drop-column projects.legacy_name (expand was');
    expect(failed.output).toContain('docs/operations/deploy.md#expand-contract');

    const good = fixture({
      '0001_add_display_name.sql': 'ALTER TABLE `projects` ADD `display_name` text;\n',
      '0002_drop_legacy_name.sql':
        '-- migration-safety: contract drop-column projects.legacy_name (expand was 0001_add_display_name)\n' +
        'ALTER TABLE `projects` DROP COLUMN `legacy_name`;\n',
    });
    const passed = runNode([CHECK_SCRIPT, good]);
    expect(passed.output).toContain('3 migration(s)');
    expect(passed.status).toBe(0);
  }, 30_000);

  test.each([
    ['drop-table', 'DROP TABLE `projects`;', 'contract drop-table projects (expand was release v1.4.0)'],
    ['drop-table', 'DROP TABLE IF EXISTS projects;', 'contract drop-table projects (expand was release v1.4.0)'],
    ['drop-column', 'ALTER TABLE "projects" DROP [legacy_name];', 'contract drop-column projects.legacy_name (expand was 0000_base)'],
    ['rename-table', 'ALTER TABLE projects RENAME TO workspaces;', 'contract rename-table projects (expand was 0000_base)'],
    ['rename-column', 'ALTER TABLE projects RENAME COLUMN name TO title;', 'contract rename-column projects.name (expand was 0000_base)'],
    ['rename-column', 'alter table projects rename name to title;', 'contract rename-column projects.name (expand was 0000_base)'],
    ['table-rebuild', '(drizzle-kit rebuild of projects)', 'contract table-rebuild projects (expand was release v2.0.0)'],
  ])('%s: %s fails unmarked and passes marked', (rule, statement, marker) => {
    const sql = rule === 'table-rebuild' ? DRIZZLE_REBUILD : statement;
    const unmarked = check({ '0001_change.sql': `\n${sql}\n` });
    expect(unmarked.map((v) => v.rule)).toEqual([rule]);
    expect(unmarked[0]!.message).toContain(`-- migration-safety: contract ${rule} `);
    expect(unmarked[0]!.message).toContain('docs/operations/deploy.md#expand-contract');
    expect(check({ '0001_change.sql': `-- migration-safety: ${marker}\n${sql}\n` })).toEqual([]);
  });

  test('the drizzle-kit table rebuild is reported once, at the DROP, naming the rows it would cascade-delete', () => {
    const violations = check({ '0001_relax_name.sql': DRIZZLE_REBUILD });
    expect(rules(violations)).toEqual(['0001_relax_name.sql:11 table-rebuild']);
    expect(violations[0]!.message).toContain('deletes the rows of every table that references it: project_notes');
    expect(violations[0]!.message).toContain('PRAGMA foreign_keys=OFF is ignored');
  });

  test('why: on a local D1, the drizzle-kit rebuild of projects deletes the rows of project_notes', () => {
    // PRAGMA foreign_keys=OFF in the migration does nothing: D1 runs it inside a transaction.
    const dir = fixture({
      '0001_data.sql': "INSERT INTO tenants VALUES ('t1', 'acme');\nINSERT INTO projects VALUES ('p1', 't1', 'Website', NULL);\nINSERT INTO project_notes VALUES ('n1', 't1', 'p1');\n",
      '0002_relax_name.sql': DRIZZLE_REBUILD,
    });
    mkdirSync(path.join(dir, 'migrations'));
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.sql'))) renameSync(path.join(dir, f), path.join(dir, 'migrations', f));
    writeFileSync(
      path.join(dir, 'wrangler.toml'),
      'name = "rebuild-demo"\ncompatibility_date = "2026-11-01"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "demo"\ndatabase_id = "00000000-0000-4000-8000-000000000001"\n',
    );
    const apply = runNode([WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local'], { cwd: dir, timeout: 120_000 });
    expect(apply.status, apply.output).toBe(0);
    const count = runNode(
      [WRANGLER, 'd1', 'execute', 'DB', '--local', '--json', '--command', 'SELECT (SELECT count(*) FROM projects) AS projects, (SELECT count(*) FROM project_notes) AS notes'],
      { cwd: dir },
    );
    expect(count.status, count.output).toBe(0);
    const [{ results }] = JSON.parse(count.output.slice(count.output.indexOf('['))) as [{ results: unknown[] }];
    expect(results).toEqual([{ projects: 1, notes: 0 }]);
  }, 130_000);

  test('ADD COLUMN … NOT NULL without a DEFAULT fails, and no marker can allow it', () => {
    const sql = 'ALTER TABLE `projects` ADD `description` text NOT NULL;';
    expect(rules(check({ '0001_x.sql': sql }))).toEqual(['0001_x.sql:1 add-not-null-column']);
    expect(rules(check({ '0001_x.sql': 'ALTER TABLE projects ADD COLUMN description text DEFAULT NULL NOT NULL;' }))).toEqual([
      '0001_x.sql:1 add-not-null-column',
    ]);
    const marked = check({ '0001_x.sql': `-- migration-safety: contract add-not-null-column projects.description (expand was 0000_base)\n${sql}` });
    expect(rules(marked)).toEqual(['0001_x.sql:1 marker', '0001_x.sql:2 add-not-null-column']);
    expect(marked[0]!.message).toContain('give the column a DEFAULT');

    expect(check({ '0001_x.sql': "ALTER TABLE `projects` ADD `description` text DEFAULT '' NOT NULL;" })).toEqual([]);
    expect(check({ '0001_x.sql': 'ALTER TABLE projects ADD COLUMN archived integer NOT NULL DEFAULT (0);' })).toEqual([]);
    expect(check({ '0001_x.sql': 'ALTER TABLE projects ADD COLUMN description text;' })).toEqual([]);
    // SET DEFAULT is a foreign-key action, not a default value.
    expect(
      rules(check({ '0001_x.sql': 'ALTER TABLE projects ADD COLUMN owner text NOT NULL REFERENCES users(id) ON DELETE SET DEFAULT;' })),
    ).toEqual(['0001_x.sql:1 add-not-null-column']);
  });

  describe('tenant tables, in the first migration or any later one', () => {
    test('a table without tenant_id fails with what to do', () => {
      const violations = check({ '0001_widgets.sql': 'CREATE TABLE `widgets` (\n\t`id` text PRIMARY KEY NOT NULL,\n\t`name` text\n);' });
      expect(rules(violations)).toEqual(['0001_widgets.sql:1 tenant-table']);
      expect(violations[0]!.message).toContain('widgets is tenant data but has no tenant_id column');
      expect(violations[0]!.message).toContain('-- migration-safety: global-table widgets (<why it has no tenant>)');
    });

    test('tenant_id must be NOT NULL and reference tenants', () => {
      const nullable = check({
        '0001_w.sql': 'CREATE TABLE widgets (id text PRIMARY KEY, tenant_id text REFERENCES tenants(id) ON DELETE CASCADE);',
      });
      expect(nullable.map((v) => v.message.split('\n')[0])).toEqual([
        'widgets.tenant_id must be NOT NULL: a row without a tenant is visible to no one, or to everyone.',
      ]);
      const unreferenced = check({ '0001_w.sql': 'CREATE TABLE widgets (id text PRIMARY KEY, tenant_id text NOT NULL);' });
      expect(unreferenced.map((v) => v.message.split('\n')[0])).toEqual([
        'widgets.tenant_id must reference tenants(id) (a foreign key), so a row cannot outlive or escape its tenant.',
      ]);
    });

    test('a well-formed tenant table passes, whether the foreign key is on the column or the table', () => {
      expect(
        check({
          '0001_w.sql':
            'CREATE TABLE `widgets` (`id` text PRIMARY KEY NOT NULL, `tenant_id` text NOT NULL, FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON DELETE cascade);',
          '0002_g.sql': 'CREATE TABLE gadgets (id text PRIMARY KEY, tenant_id text NOT NULL REFERENCES tenants(id));',
        }),
      ).toEqual([]);
    });

    test('a table marked global passes; the global tables and internal tables need no marker', () => {
      expect(
        check({
          '0001_rates.sql': '-- migration-safety: global-table fx_rates (exchange rates are the same for every tenant)\nCREATE TABLE fx_rates (currency text PRIMARY KEY, rate real NOT NULL);',
          '0002_internal.sql': 'CREATE TABLE IF NOT EXISTS sqlite_stat1 (tbl, idx, stat);\nCREATE TABLE _cf_KV (key text PRIMARY KEY, value blob);',
        }),
      ).toEqual([]);
      expect(rules(check({ '0001_rates.sql': '-- migration-safety: global-table fx_rates ()\nCREATE TABLE fx_rates (currency text);' }))).toEqual([
        '0001_rates.sql:1 marker',
        '0001_rates.sql:2 tenant-table',
      ]);
    });

    test('a rebuilt tenant table is checked under its final name', () => {
      const rebuildWithoutTenant = DRIZZLE_REBUILD.replace('\t`tenant_id` text NOT NULL,\n', '').replace(
        /FOREIGN KEY \(`tenant_id`\)[^\n]*\n/,
        '`x` text\n',
      );
      const violations = check({ '0001_x.sql': `-- migration-safety: contract table-rebuild projects (expand was 0000_base)\n${rebuildWithoutTenant}` });
      expect(violations.map((v) => v.rule)).toEqual(['tenant-table']);
      expect(violations[0]!.message).toContain('Table projects is tenant data but has no tenant_id column');
    });
  });

  test('keywords in comments and strings are not statements; quoted names still are names', () => {
    const harmless = [
      '-- DROP TABLE projects;',
      '/* ALTER TABLE projects DROP COLUMN name;',
      '   ALTER TABLE projects RENAME TO x; */',
      "INSERT INTO projects (id, tenant_id, name) SELECT 'p1', id, 'DROP TABLE projects; -- not a comment' FROM tenants;",
      "UPDATE projects SET name = 'it''s ALTER TABLE projects RENAME TO x';",
    ].join('\n');
    expect(check({ '0001_data.sql': harmless })).toEqual([]);

    const sneaky = `${harmless}\nALTER TABLE [projects] DROP COLUMN "legacy_name"; -- the real one\n`;
    expect(rules(check({ '0001_data.sql': sneaky }))).toEqual(['0001_data.sql:6 drop-column']);
  });

  test('a trigger body keeps its semicolons, and line numbers stay right after it', () => {
    const sql = [
      'CREATE TRIGGER projects_touch AFTER UPDATE ON projects BEGIN',
      "  UPDATE projects SET name = CASE WHEN new.name = '' THEN old.name ELSE new.name END WHERE id = new.id;",
      '  SELECT 1;',
      'END;',
      'DROP TABLE projects;',
    ].join('\n');
    expect(rules(check({ '0001_t.sql': sql }))).toEqual(['0001_t.sql:5 drop-table']);
  });

  test('a table created and dropped in the same migration is scratch space, not data', () => {
    const sql = 'CREATE TABLE `_scratch` (`id` text, `tenant_id` text NOT NULL REFERENCES tenants(id));\nALTER TABLE _scratch RENAME COLUMN id TO key;\nDROP TABLE `_scratch`;';
    expect(check({ '0001_s.sql': sql })).toEqual([]);
  });

  test('markers are checked: the expand step must be earlier, the target must match, the syntax must be known', () => {
    const drop = 'ALTER TABLE projects DROP COLUMN legacy_name;';
    const later = check({
      '0001_drop.sql': `-- migration-safety: contract drop-column projects.legacy_name (expand was 0002_later)\n${drop}`,
      '0002_later.sql': 'SELECT 1;',
    });
    expect(rules(later)).toEqual(['0001_drop.sql:1 marker', '0001_drop.sql:2 drop-column']);
    expect(later[0]!.message).toContain('not an earlier migration');

    const wrongTarget = check({ '0001_drop.sql': `-- migration-safety: contract drop-column projects.name (expand was 0000_base)\n${drop}` });
    expect(rules(wrongTarget)).toEqual(['0001_drop.sql:2 drop-column', '0001_drop.sql:1 marker']);
    expect(wrongTarget[1]!.message).toContain('matches no drop-column statement on projects.name');

    const typo = check({ '0001_drop.sql': `-- migration-safety: contrat drop-column projects.legacy_name\n${drop}` });
    expect(rules(typo)).toEqual(['0001_drop.sql:1 marker', '0001_drop.sql:2 drop-column']);
    expect(typo[0]!.message).toContain('Unrecognised migration-safety marker');

    const inString = check({
      '0001_drop.sql': `SELECT '-- migration-safety: contract drop-column projects.legacy_name (expand was 0000_base)';\n${drop}`,
    });
    expect(rules(inString)).toEqual(['0001_drop.sql:2 drop-column']);
  });

  test('two migrations with the same number fail', () => {
    expect(rules(check({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 2;' }))).toEqual(['0001_b.sql:1 marker']);
  });
});

