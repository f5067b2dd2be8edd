import { availableParallelism } from 'node:os';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_WEBHOOK_SECRET } from './test/setup/stripe-emulator.ts';
import { TEST_PASSWORD_ITERATIONS } from './test/setup/password.ts';

/**
 * A project that runs inside workerd (real D1, Durable Objects and Queues via
 * Miniflare, configured from wrangler.toml), with its own Stripe emulator:
 * each project's global setup starts one and provides its port.
 */
function workersProject(name: string, include: string[], { fileParallelism = true } = {}) {
  return {
    plugins: [
      cloudflareTest(async ({ inject }) => ({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: await readD1Migrations('./migrations'),
            JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
            MFA_SEALING_KEY: 'test-mfa-sealing-key-0123456789abcdef0123456',
            // A rotation in progress, so mfa-sealing.test.ts can seal with the previous key.
            MFA_SEALING_PREVIOUS_KEY: 'test-previous-mfa-sealing-key-0123456789abcdef',
            ENVIRONMENT: 'test',
            // Fixture users by the hundred: see docs/decisions/0023-ci-test-password-iterations.md.
            PASSWORD_ITERATIONS: TEST_PASSWORD_ITERATIONS,
            OPS_TOKEN: 'test-ops-token',
            STRIPE_SECRET_KEY: 'sk_test_vitest',
            STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
            STRIPE_API_PORT: String(inject('stripeEmulatorPort')),
            // test/workers/fuzz.test.ts: a short run by default, `npm run fuzz` sets more.
            FUZZ_REQUESTS: process.env.FUZZ_REQUESTS ?? '',
            FUZZ_SEED: process.env.FUZZ_SEED ?? '',
          },
        },
      })),
    ],
    test: {
      name,
      include,
      // Billing tests wait for the queue consumer; everything else is far quicker.
      testTimeout: 20_000,
      fileParallelism,
      setupFiles: ['./test/workers/setup.ts'],
      globalSetup: ['./test/setup/stripe-emulator.ts'],
    },
  };
}

/**
 * `workers`: the integration tests, files in parallel, sharing one emulator
 * that none of them moves in time or breaks. `stripe-time`: the tests that
 * advance the emulator's clock or inject its faults, on an emulator of their
 * own and one file at a time, so no other test ever sees a jump in time or a 500. `node`: checks
 * that read the repository itself (import rule, migration safety, workflows,
 * the emulator). `e2e`: headless Chromium through the admin pages.
 */
export default defineConfig({
  test: {
    // Request log lines are printed only for failing tests.
    silent: 'passed-only',
    // A file per core, not Vitest's default of one fewer (on the 2-core CI host, one file at a time):
    // much of a file's time is spent waiting on workerd, wrangler dev or Chromium, not on its own core.
    maxWorkers: availableParallelism(),
    projects: [
      workersProject('workers', ['test/workers/**/*.test.ts', 'src/**/*.test.ts']),
      // One file at a time: each moves the clock of, or injects faults into, the emulator they share.
      workersProject('stripe-time', ['test/stripe-time/**/*.test.ts'], { fileParallelism: false }),
      {
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          environment: 'node',
        },
        // The OpenAPI check imports the app for its route table; workerd's own modules are stood in for.
        resolve: { alias: { 'cloudflare:workers': './test/node/stubs/cloudflare.ts', 'cloudflare:email': './test/node/stubs/cloudflare.ts' } },
      },
      {
        // The browser story: headless Chromium (playwright-core) against `wrangler dev` and the Stripe emulator.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['./test/e2e/global-setup.ts'],
          // One file at a time: they share the app and the emulator, whose injected latency is global.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
