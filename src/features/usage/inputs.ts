import { z } from 'zod';
import { USAGE_KEPT_DAYS } from '../../platform/observe/meter';

/** How many UTC days back, today included: at most what the meter keeps. */
export const usageQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(USAGE_KEPT_DAYS).default(30) });
