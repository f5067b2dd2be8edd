import { z } from 'zod';
import { entityId, humanName, role } from '../../platform/fields';

export const createApiKeyBody = z.strictObject({ name: humanName(), role });
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;
export const apiKeyParams = z.object({ id: entityId });
