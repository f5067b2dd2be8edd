import { z } from 'zod';
import { humanName } from '../../platform/http/text';
import { role } from '../members/schema';

export const createApiKeyBody = z.strictObject({ name: humanName(), role });
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;
export const apiKeyParams = z.object({ id: z.string().min(1).max(64) });
