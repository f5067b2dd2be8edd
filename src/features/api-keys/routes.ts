import { Hono } from 'hono';
import type { AppEnv } from '../../platform/env';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/permissions';
import { apiKeyParams, createApiKeyBody } from './schema';
import { createApiKey, listApiKeys, revokeApiKey } from './service';

/** Mounted at /api/t/:tenant/api-keys. */
export const apiKeyRoutes = new Hono<AppEnv>()
  .get('/', requirePermission('api_keys:manage'), async (c) => {
    return c.json({ apiKeys: await listApiKeys(c.var.tenantCtx) });
  })
  .post('/', requirePermission('api_keys:manage'), validate('json', createApiKeyBody), async (c) => {
    return c.json(await createApiKey(c.var.tenantCtx, c.req.valid('json')), 201);
  })
  .delete('/:id', requirePermission('api_keys:manage'), validate('param', apiKeyParams), async (c) => {
    await revokeApiKey(c.var.tenantCtx, c.req.valid('param').id);
    return c.body(null, 204);
  });
