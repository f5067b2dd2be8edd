import { z } from 'zod';

/** How many UTC days back, today included. */
export const usageQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(90).default(30) });
