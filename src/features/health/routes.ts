import { Hono } from 'hono';
import type { AppEnv } from '../../platform/env';

export const healthRoutes = new Hono<AppEnv>().get('/healthz', (c) => c.json({ ok: true }));
