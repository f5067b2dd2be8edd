import { z } from 'zod';

export const auditLogQuery = z.strictObject({
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  action: z
    .string()
    .regex(/^[a-z_]+\.[a-z_]+$/, 'Actions look like entity.verb')
    .optional(),
});
export type AuditLogQuery = z.infer<typeof auditLogQuery>;
