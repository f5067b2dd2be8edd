import type { D1Migration } from 'cloudflare:test';

// The app's bindings (Cloudflare.Env) and the main module come from
// worker-configuration.d.ts (`npm run types`); the tests add their migrations.
declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** How many requests test/workers/fuzz.test.ts sends, and its seed; empty for the defaults. */
      FUZZ_REQUESTS: string;
      FUZZ_SEED: string;
    }
  }
}
