/**
 * Vitest global setup (runs in Node): one Stripe emulator for the workers
 * project, in pull mode (the Worker under test has no HTTP address for it to
 * push to; tests fetch the signed events and post them to the Worker).
 */
import type { TestProject } from 'vitest/node';
import { startStripeEmulator } from '../../tools/stripe-emulator/server.ts';

export const TEST_WEBHOOK_SECRET = 'whsec_test_vitest_workers';

declare module 'vitest' {
  export interface ProvidedContext {
    stripeEmulatorPort: number;
  }
}

export default async function setup(project: TestProject) {
  const emulator = await startStripeEmulator({ port: 0, webhookSecret: TEST_WEBHOOK_SECRET, log: () => {} });
  project.provide('stripeEmulatorPort', emulator.port);
  return async () => emulator.stop();
}
