/**
 * Routes and pages reach tenant data only through the tenant-bound context
 * and services. eslint enforces this while editing; this test makes
 * `npm test` fail too, for the same rule, on the same files: which files
 * those are is asked of ESLint, so eslint.config.js's `files` patterns are
 * the one list. The import check itself is separate from ESLint's, so an
 * `eslint-disable` comment does not get past it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const FEATURES = join(ROOT, 'src', 'features');
const RAW_DATABASE = /from\s+['"](drizzle-orm(\/[^'"]*)?|[./]*[^'"]*platform\/db\/(client|schema))['"]/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** The feature files that eslint.config.js puts under the import rule. */
async function handlerFiles(): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const files: string[] = [];
  for (const file of sourceFiles(FEATURES)) {
    const config = await eslint.calculateConfigForFile(file);
    const [severity] = [config?.rules?.['no-restricted-imports'] ?? []].flat();
    if (severity === 2 || severity === 'error') files.push(file);
  }
  return files;
}

describe('import rule', () => {
  let files: string[] = [];
  beforeAll(async () => {
    files = await handlerFiles();
  });

  it('covers every routes and pages file under src/features, the Stripe webhook routes included', () => {
    const checked = files.map((f) => relative(ROOT, f));
    expect(checked).toContain('src/features/billing/webhook-routes.ts');
    expect(checked).toContain('src/features/billing/routes.ts');
    expect(checked).toContain('src/features/dev-mailbox/pages.tsx');
    const missed = sourceFiles(FEATURES)
      .map((f) => relative(ROOT, f))
      .filter((f) => /(routes\.ts|\/pages\.tsx)$/.test(f) && !checked.includes(f));
    expect(missed, 'add a pattern for these to the import rule in eslint.config.js').toEqual([]);
  });

  it('no route or page file imports the raw database handle or the table objects', () => {
    const offenders = files.filter((file) => RAW_DATABASE.test(readFileSync(file, 'utf8'))).map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('ESLint reports a raw database import in a webhook routes file', async () => {
    const [result] = await new ESLint({ cwd: ROOT }).lintText(`import { database } from '../../platform/db/client';\nexport const used = database;\n`, {
      filePath: join(FEATURES, 'billing', 'webhook-routes.ts'),
    });
    expect(result?.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
  });

  it('the rule catches a violation', () => {
    expect(RAW_DATABASE.test(`import { database } from '../../platform/db/client';`)).toBe(true);
    expect(RAW_DATABASE.test(`import { projects } from "../../platform/db/schema";`)).toBe(true);
    expect(RAW_DATABASE.test(`import { eq } from 'drizzle-orm';`)).toBe(true);
    expect(RAW_DATABASE.test(`import { listProjects } from './service';`)).toBe(false);
  });
});
