import { z } from 'zod';

export const stripeEventsResponse = z.object({ events: z.array(z.looseObject({ id: z.string(), type: z.string() })) });
export const replayedResponse = z.object({ replayed: z.string() });
export const timelineResponse = z.object({
  tenant: z.unknown(),
  deleted: z.unknown(),
  subscription: z.unknown(),
  seats: z.unknown(),
  entries: z.array(z.object({ at: z.number(), source: z.enum(['audit', 'stripe']), what: z.string(), requestId: z.string().nullable(), detail: z.record(z.string(), z.unknown()) })),
});
