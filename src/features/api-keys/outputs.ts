import { z } from 'zod';
import { nextCursorOut, roleOut, timestampOut } from '../../platform/http/outputs';

const apiKeyOut = z.object({
  id: z.string(),
  name: z.string(),
  role: roleOut,
  prefix: z.string(),
  scopes: z.array(z.string()).nullable().describe('null: everything the role allows; ["read"]: reads only; or permission names'),
  createdAt: timestampOut,
  expiresAt: timestampOut.nullable(),
  lastUsedAt: timestampOut.nullable(),
});
export const apiKeyCreatedResponse = z.object({ apiKey: apiKeyOut, secret: z.string().startsWith('ssk_') });
export const apiKeyListResponse = z.object({ apiKeys: z.array(apiKeyOut), nextCursor: nextCursorOut });
