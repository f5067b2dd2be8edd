import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

/**
 * Two projects: `workers` runs inside workerd (real D1, Durable Objects and
 * Queues via Miniflare, configured from wrangler.toml); `node` runs the
 * checks that read the repository itself (import rules, migration safety).
 */
export default defineConfig({
  test: {
    // Request log lines are printed only for failing tests.
    silent: 'passed-only',
    projects: [
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations('./migrations'),
                JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
                ENVIRONMENT: 'test',
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts', 'src/**/*.test.ts'],
          setupFiles: ['./test/workers/setup.ts'],
        },
      },
      {
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          environment: 'node',
        },
      },
    ],
  },
});
