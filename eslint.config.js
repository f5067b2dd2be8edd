import tseslint from 'typescript-eslint';

/** Modules that hand out the raw database: only the platform layer and services may import them. */
const RAW_DATABASE = ['**/platform/db/client', '**/platform/db/schema', 'drizzle-orm', 'drizzle-orm/*'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.wrangler/', 'migrations/', 'docs/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Route and page code reaches tenant data only through the tenant-bound
    // context (c.var.tenantCtx) and services. These patterns are the only
    // list of such files: test/node/imports.test.ts asks ESLint which files
    // they match (calculateConfigForFile) and checks those.
    files: ['src/features/**/*routes.ts', 'src/features/**/pages.tsx', 'src/features/**/pages/*.tsx', 'src/features/**/*.page.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: RAW_DATABASE,
              message: 'Routes and pages must not touch the database directly: call a service with c.var.tenantCtx.',
            },
          ],
        },
      ],
    },
  },
);
