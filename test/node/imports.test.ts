/**
 * The import rule, checked on every `npm test` as well as by eslint while
 * editing: the platform imports no feature; feature code never opens the
 * raw database handle; routes and pages touch no database module at all;
 * only the context factory builds a tenant's data handle. Which files each
 * part covers is asked of ESLint, so eslint.config.js's `files` patterns are
 * the one list; the checks themselves are separate from ESLint's, so an
 * `eslint-disable` comment does not get past them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');
const FEATURES = join(SRC, 'features');

/** Import specifiers of a source file (static imports and re-exports). */
function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gms)].map((m) => m[1]!);
}

const IMPORTS_A_FEATURE = (spec: string) => /(^|\/)features\//.test(spec);
const RAW_HANDLE = (spec: string) => /platform\/db\/client$/.test(spec);
const RAW_DATABASE = (spec: string) => RAW_HANDLE(spec) || /^drizzle-orm(\/|$)|platform\/db\/(schema|cross-tenant)$/.test(spec);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** The import patterns eslint.config.js forbids in `file`. */
async function forbiddenPatterns(eslint: ESLint, file: string): Promise<string[]> {
  const config = await eslint.calculateConfigForFile(file);
  const [, options] = [config?.rules?.['no-restricted-imports'] ?? []].flat() as [unknown, { patterns?: { group: string[] }[] }?];
  return options?.patterns?.flatMap((p) => p.group) ?? [];
}

const rel = (file: string) => relative(ROOT, file);
const offenders = (files: string[], rule: (spec: string) => boolean) => files.filter((f) => importsOf(f).some(rule)).map(rel);

describe('import rule', () => {
  const patterns = new Map<string, string[]>();
  beforeAll(async () => {
    const eslint = new ESLint({ cwd: ROOT });
    for (const file of sourceFiles(SRC)) patterns.set(file, await forbiddenPatterns(eslint, file));
  });
  const covered = (pattern: string) => [...patterns].filter(([, forbidden]) => forbidden.includes(pattern)).map(([file]) => file);

  it('covers the whole platform, every feature file, and every routes and pages file', () => {
    const platform = sourceFiles(join(SRC, 'platform'));
    expect(platform.filter((f) => !covered('**/features/**').includes(f)).map(rel)).toEqual([]);
    const features = sourceFiles(FEATURES);
    expect(features.filter((f) => !covered('**/platform/db/client').includes(f)).map(rel)).toEqual([]);
    const handlers = covered('**/platform/db/cross-tenant').map(rel);
    expect(handlers).toContain('src/features/billing/sync/webhook-routes.ts');
    expect(handlers).toContain('src/features/dev-mailbox/pages.tsx');
    const missed = features.map(rel).filter((f) => /(routes\.ts|\/pages\.tsx)$/.test(f) && !handlers.includes(f));
    expect(missed, 'add a pattern for these to the import rule in eslint.config.js').toEqual([]);
  });

  it('no platform file imports a feature', () => {
    expect(offenders(covered('**/features/**'), IMPORTS_A_FEATURE)).toEqual([]);
  });

  it('no feature file opens the raw database handle', () => {
    expect(offenders(covered('**/platform/db/client'), RAW_HANDLE)).toEqual([]);
  });

  it('no route or page file imports the database, the tables or the cross-tenant reads', () => {
    expect(offenders(covered('**/platform/db/cross-tenant'), RAW_DATABASE)).toEqual([]);
  });

  it('only the context factory builds a tenant-bound handle', () => {
    const builders = sourceFiles(SRC)
      .filter((f) => readFileSync(f, 'utf8').includes('new TenantDb('))
      .map(rel);
    expect(builders).toEqual(['src/platform/context.ts']);
  });

  it('ESLint reports a raw database import in a service and a feature import in the platform', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const [service] = await eslint.lintText(`import { database } from '../../platform/db/client';\nexport const used = database;\n`, {
      filePath: join(FEATURES, 'projects', 'service.ts'),
    });
    expect(service?.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
    const [platform] = await eslint.lintText(`import { billing } from '../features/billing';\nexport const used = billing;\n`, {
      filePath: join(SRC, 'platform', 'compose.ts'),
    });
    expect(platform?.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
  });

  it('the checks catch a violation', () => {
    expect(RAW_DATABASE(`../../platform/db/client`)).toBe(true);
    expect(RAW_DATABASE(`../../platform/db/schema`)).toBe(true);
    expect(RAW_DATABASE(`../../platform/db/cross-tenant`)).toBe(true);
    expect(RAW_DATABASE(`drizzle-orm`)).toBe(true);
    expect(RAW_DATABASE(`./service`)).toBe(false);
    expect(IMPORTS_A_FEATURE(`../../features/billing/plans`)).toBe(true);
    expect(IMPORTS_A_FEATURE(`./feature`)).toBe(false);
    expect(importsOf(join(SRC, 'app.ts'))).toContain('./platform/compose');
  });
});
