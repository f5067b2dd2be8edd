import { z } from 'zod';
import { entityId } from '../../platform/fields';

/** The areas actions belong to (`member.added` is in `member`), as the page's filter offers them. */
export const ACTION_GROUPS = ['member', 'invitation', 'project', 'api_key', 'billing', 'subscription', 'tenant'] as const;

/** A day, in UTC, as `<input type="date">` sends it. */
const day = z.iso.date({ error: 'Use a date like 2026-01-31' });

export const auditLogQuery = z
  .strictObject({
    cursor: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    action: z
      .string()
      .regex(/^[a-z_]+\.[a-z_]+$/, 'Actions look like entity.verb')
      .optional(),
    /** Every action of one area. */
    group: z.enum(ACTION_GROUPS, { error: 'Choose one of the groups offered' }).optional(),
    /** Entries by one user. */
    actor: entityId.optional(),
    /** From the start of this day (UTC). */
    from: day.optional(),
    /** To the end of this day (UTC). */
    to: day.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'The end date is before the start date', path: ['to'] });
export type AuditLogQuery = z.infer<typeof auditLogQuery>;
