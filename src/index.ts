import { createApp } from './app';
import type { Env } from './platform/env';

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
