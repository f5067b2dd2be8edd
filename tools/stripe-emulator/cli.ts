/**
 * Runs the emulator on its own: `npx node tools/stripe-emulator/cli.ts`
 * (or `npm run stripe:emulator`). Configured from the environment:
 *
 *   STRIPE_EMULATOR_PORT          default 12111
 *   STRIPE_EMULATOR_HOST          default 127.0.0.1
 *   STRIPE_WEBHOOK_URL            where to POST events; unset = store only (pull mode)
 *   STRIPE_WEBHOOK_SECRET         default whsec_local_stripe_emulator (a dev-only value)
 *   STRIPE_EMULATOR_RETRY_BASE_MS first webhook retry delay, default 500
 *   STRIPE_EMULATOR_RETRY_WINDOW_DAYS, STRIPE_EMULATOR_AFTER_RETRIES (unpaid | canceled)
 *   STRIPE_PRICE_PRO, STRIPE_PRICE_ENTERPRISE   ids of the seeded prices
 *   STRIPE_EMULATOR_QUIET=1       no per-request log lines
 */
import { startStripeEmulator } from './server.ts';

const env: Record<string, string | undefined> = process.env;

function numberFromEnv(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

const afterRetries = env.STRIPE_EMULATOR_AFTER_RETRIES ?? 'unpaid';
if (afterRetries !== 'unpaid' && afterRetries !== 'canceled') {
  throw new Error(`STRIPE_EMULATOR_AFTER_RETRIES must be unpaid or canceled, got "${afterRetries}"`);
}

const emulator = await startStripeEmulator({
  port: numberFromEnv('STRIPE_EMULATOR_PORT', 12111),
  host: env.STRIPE_EMULATOR_HOST ?? '127.0.0.1',
  webhookUrl: env.STRIPE_WEBHOOK_URL || undefined,
  webhookSecret: env.STRIPE_WEBHOOK_SECRET || 'whsec_local_stripe_emulator',
  retryBaseMs: numberFromEnv('STRIPE_EMULATOR_RETRY_BASE_MS', 500),
  retryWindowDays: numberFromEnv('STRIPE_EMULATOR_RETRY_WINDOW_DAYS', 14),
  afterRetries,
  priceIds: { pro: env.STRIPE_PRICE_PRO || undefined, enterprise: env.STRIPE_PRICE_ENTERPRISE || undefined },
  log: env.STRIPE_EMULATOR_QUIET === '1' ? undefined : (line) => console.log(`[stripe-emulator] ${line}`),
});

console.log(`Local Stripe emulator (test mode) listening on ${emulator.url}`);
console.log(`  webhooks: ${env.STRIPE_WEBHOOK_URL || 'not delivered (pull them from /_emulator/events)'}`);
console.log(`  operator controls: ${emulator.url}/_emulator/state`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void emulator.stop().then(() => process.exit(0));
  });
}
