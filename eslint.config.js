import tseslint from 'typescript-eslint';

/** The raw drizzle handle: only the platform's doors (context factory, tenancy, cross-tenant reads) open it. */
const RAW_HANDLE = ['**/platform/db/client'];
/** Everything that reaches the database without a context: routes and pages use none of it. */
const RAW_DATABASE = [...RAW_HANDLE, '**/platform/db/schema', '**/platform/db/cross-tenant', 'drizzle-orm', 'drizzle-orm/*'];

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.wrangler/', 'migrations/', 'docs/', 'worker-configuration.d.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Hono's `c.var` builds a new object of every variable on each read (Object.fromEntries);
      // `c.get(name)` reads one. It was 2% of an API read's CPU (decision 0026).
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='c'][property.name='var']", message: "Use c.get('name'): c.var copies every variable on each read." }],
    },
  },
  // The import rule. test/node/imports.test.ts asks ESLint which files each
  // block covers (calculateConfigForFile) and checks the same rule itself, so
  // these `files` patterns are the one list and an eslint-disable comment does
  // not get past it.
  {
    // The platform knows no feature: features register what it needs (src/platform/feature.ts).
    files: ['src/platform/**/*.{ts,tsx}'],
    rules: restrict([{ group: ['**/features/**'], message: 'The platform imports no feature: let the feature contribute it through its entry (src/platform/feature.ts).' }]),
  },
  {
    // Services reach tenant data through their context (ctx.db), global tables through ctx.global,
    // and reads across tenants through platform/db/cross-tenant.ts: never through the raw handle.
    files: ['src/features/**/*.{ts,tsx}'],
    rules: restrict([{ group: RAW_HANDLE, message: 'Use ctx.db (tenant data), ctx.global (global tables) or a named read in platform/db/cross-tenant.ts.' }]),
  },
  {
    // Route and page code reaches data only through services, with c.var.tenantCtx.
    files: ['src/features/**/*routes.ts', 'src/features/**/pages.tsx', 'src/features/**/pages/*.tsx', 'src/features/**/*.page.tsx'],
    rules: restrict([{ group: RAW_DATABASE, message: 'Routes and pages must not touch the database directly: call a service with c.var.tenantCtx.' }]),
  },
  {
    // Pure rules: what the views, guards and services share, with no framework and no SQL in them.
    files: ['src/platform/tenancy/policy.ts', 'src/platform/errors.ts', 'src/features/billing/plans.ts'],
    rules: restrict([
      { group: ['hono', 'hono/*', 'drizzle-orm', 'drizzle-orm/*', '**/http/*', '**/ui/*', '**/features/**', ...RAW_HANDLE], message: 'Pure policy: no HTTP, no SQL, no views.' },
    ]),
  },
);
