import { publicApp } from '../../platform/http/apps';

export const healthRoutes = publicApp().get('/healthz', (c) => c.json({ ok: true }));
