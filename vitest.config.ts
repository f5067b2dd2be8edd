import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_WEBHOOK_SECRET } from './test/setup/stripe-emulator.ts';

/**
 * Three projects: `workers` runs inside workerd (real D1, Durable Objects and
 * Queues via Miniflare, configured from wrangler.toml); `node` runs the
 * checks that read the repository itself (import rules, migration safety);
 * `e2e` drives headless Chromium through the admin pages (test/e2e).
 */
export default defineConfig({
  test: {
    // Request log lines are printed only for failing tests.
    silent: 'passed-only',
    projects: [
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations('./migrations'),
                JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
                ENVIRONMENT: 'test',
                OPS_TOKEN: 'test-ops-token',
                STRIPE_SECRET_KEY: 'sk_test_vitest',
                STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
                STRIPE_API_PORT: String(inject('stripeEmulatorPort')),
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          // Billing tests wait for the queue consumer; everything else is far quicker.
          testTimeout: 20_000,
          include: ['test/workers/**/*.test.ts', 'src/**/*.test.ts'],
          setupFiles: ['./test/workers/setup.ts'],
          globalSetup: ['./test/setup/stripe-emulator.ts'],
        },
      },
      {
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        // The browser story: headless Chromium (playwright-core) against `wrangler dev` and the Stripe emulator.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['./test/e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
