/**
 * Response shapes more than one feature answers with (a user, a tenant),
 * for the OpenAPI document; each feature's own are in its `outputs.ts`.
 */
import { z } from 'zod';
import { ROLES } from '../db/schema';

export const userOut = z.object({ id: z.string(), email: z.string(), name: z.string() });
export const tenantOut = z.object({ id: z.string(), slug: z.string(), name: z.string() });
export const roleOut = z.enum(ROLES);
/** Milliseconds since the epoch, as every timestamp in this API. */
export const timestampOut = z.number().int();
/** The one pagination answer: the cursor for the next page, or null on the last. */
export const nextCursorOut = z.union([z.string(), z.number().int()]).nullable();
/** Metered usage per UTC day (platform/observe/meter.ts), answered to a tenant and to operators. */
export const usageDaysOut = z.object({
  days: z.array(
    z.object({
      date: z.string(),
      requests: z.number().int(),
      d1RowsRead: z.number().int(),
      d1RowsWritten: z.number().int(),
      doCalls: z.number().int(),
      queueMessages: z.number().int(),
      emails: z.number().int(),
    }),
  ),
});
