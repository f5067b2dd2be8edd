import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/guard';
import { apiKeyParams, createApiKeyBody } from './inputs';
import { apiKeyPermissions } from './permissions';
import { apiKeyListRead, createApiKey, listApiKeysOfRequest, revokeApiKey } from './service';

/** Mounted at /api/t/:tenant/api-keys. */
export const apiKeyRoutes = tenantApp()
  .get('/', requirePermission(apiKeyPermissions.manage), apiKeyListRead.batched(), async (c) => {
    return c.json({ apiKeys: await listApiKeysOfRequest(c) });
  })
  .post('/', requirePermission(apiKeyPermissions.manage), validate('json', createApiKeyBody), async (c) => {
    return c.json(await createApiKey(c.var.tenantCtx, c.req.valid('json')), 201);
  })
  .delete('/:id', requirePermission(apiKeyPermissions.manage), validate('param', apiKeyParams), async (c) => {
    await revokeApiKey(c.var.tenantCtx, c.req.valid('param').id);
    return c.body(null, 204);
  });
