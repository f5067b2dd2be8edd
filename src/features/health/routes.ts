import { z } from 'zod';
import { describe } from '../../platform/http/route-doc';
import { publicApp } from '../../platform/http/apps';

export const healthRoutes = publicApp().get('/healthz', describe({ summary: 'Liveness', security: 'none', response: { status: 200, schema: z.object({ ok: z.literal(true) }) } }), (c) => c.json({ ok: true }));
