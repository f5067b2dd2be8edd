import { z } from 'zod';
import { nextCursorOut, timestampOut } from '../../platform/http/outputs';

const auditEntryOut = z.object({
  id: z.number().int(),
  action: z.string(),
  actor: z.object({ type: z.string(), id: z.string().nullable() }),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  requestId: z.string().nullable(),
  at: timestampOut,
});
export const auditLogResponse = z.object({ entries: z.array(auditEntryOut), nextCursor: nextCursorOut });
