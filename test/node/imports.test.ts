/**
 * Routes and pages reach tenant data only through the tenant-bound context
 * and services. eslint enforces this while editing; this test makes
 * `npm test` fail too, for the same rule.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const FEATURES = join(ROOT, 'src', 'features');
const RAW_DATABASE = /from\s+['"](drizzle-orm(\/[^'"]*)?|[./]*[^'"]*platform\/db\/(client|schema))['"]/;

function handlerFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return handlerFiles(path);
    return /^(routes\.ts|pages\.tsx|.*\.page\.tsx)$/.test(entry.name) ? [path] : [];
  });
}

describe('import rule', () => {
  const files = handlerFiles(FEATURES);

  it('finds the route and page files', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it('no route or page file imports the raw database handle or the table objects', () => {
    const offenders = files.filter((file) => RAW_DATABASE.test(readFileSync(file, 'utf8'))).map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('the rule catches a violation', () => {
    expect(RAW_DATABASE.test(`import { database } from '../../platform/db/client';`)).toBe(true);
    expect(RAW_DATABASE.test(`import { projects } from "../../platform/db/schema";`)).toBe(true);
    expect(RAW_DATABASE.test(`import { eq } from 'drizzle-orm';`)).toBe(true);
    expect(RAW_DATABASE.test(`import { listProjects } from './service';`)).toBe(false);
  });
});
