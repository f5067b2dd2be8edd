import { pageQuery, toPage } from '../../platform/pagination';
import { idempotent } from '../../platform/http/idempotency';
import { describe } from '../../platform/http/route-doc';
import { apiKeyCreatedResponse, apiKeyListResponse } from './outputs';
import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/guard';
import { apiKeyParams, createApiKeyBody } from './inputs';
import { apiKeyPermissions } from './permissions';
import { apiKeyListRead, createApiKey, listApiKeysOfRequest, revokeApiKey } from './service';

/** Mounted at /api/t/:tenant/api-keys. */
export const apiKeyRoutes = tenantApp()
  .get('/', describe({ summary: 'List the live API keys', response: { status: 200, schema: apiKeyListResponse } }), requirePermission(apiKeyPermissions.manage), validate('query', pageQuery), apiKeyListRead.batched(), async (c) => {
    const page = c.req.valid('query');
    const { items, nextCursor } = toPage(await listApiKeysOfRequest(c), page, (k) => ({ at: k.createdAt, id: k.id }));
    return c.json({ apiKeys: items, nextCursor });
  })
  .post('/', describe({ summary: 'Create an API key (the secret is shown once)', response: { status: 201, schema: apiKeyCreatedResponse } }), requirePermission(apiKeyPermissions.manage), validate('json', createApiKeyBody), idempotent(), async (c) => {
    return c.json(await createApiKey(c.get('tenantCtx'), c.req.valid('json')), 201);
  })
  .delete('/:id', describe({ summary: 'Revoke an API key', response: { status: 204 } }), requirePermission(apiKeyPermissions.manage), validate('param', apiKeyParams), async (c) => {
    await revokeApiKey(c.get('tenantCtx'), c.req.valid('param').id);
    return c.body(null, 204);
  });
