import { createApp } from './app';
import type { Env } from './platform/env';

export { TenantDO } from './features/seats/tenant-do';

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
