import type { D1Migration } from 'cloudflare:test';
import type * as MainModule from '../src/index';
import type { Env as AppBindings } from '../src/platform/env';

declare global {
  namespace Cloudflare {
    interface Env extends AppBindings {
      TEST_MIGRATIONS: D1Migration[];
    }
    interface GlobalProps {
      mainModule: typeof MainModule;
    }
  }
}
