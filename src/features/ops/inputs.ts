import { z } from 'zod';

const page = z.coerce.number().int().min(1).max(10_000).default(1);

/** GET /ops/economics and the console's economics page: a page of each list. */
export const economicsQuery = z.strictObject({ page, lossPage: page, limit: z.coerce.number().int().min(1).max(200).default(50) });
