import { z } from 'zod';
import { role } from '../members/schema';

export const createApiKeyBody = z.strictObject({ name: z.string().trim().min(1, 'Name is required').max(100), role });
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;
export const apiKeyParams = z.object({ id: z.string().min(1).max(64) });
