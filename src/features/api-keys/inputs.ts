import { z } from 'zod';
import { entityId, humanName, role } from '../../platform/fields';

/** A key lives 90 days unless asked otherwise, and at most a year: a leaked key dies on its own. */
export const DEFAULT_API_KEY_DAYS = 90;

export const createApiKeyBody = z.strictObject({
  name: humanName(),
  role,
  scopes: z
    .array(z.string().regex(/^(read|[a-z_]+:[a-z_]+)$/, 'A scope is "read" or a permission name such as projects:write'))
    .min(1)
    .max(20)
    .optional()
    .describe('["read"]: reads only; or permission names the role holds; absent: everything the role allows'),
  expiresInDays: z.number().int().min(1).max(365).default(DEFAULT_API_KEY_DAYS),
});
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;
export const apiKeyParams = z.object({ id: entityId });
