import { z } from 'zod';
import { PLANS } from '../../platform/db/schema';

const plan = z.enum(PLANS);

const limit = z.number().int().nullable().describe('null: unlimited');
export const billingSummaryResponse = z.looseObject({
  plan: plan,
  subscribedPlan: plan,
  status: z.string(),
  pastDue: z.boolean(),
  graceEndsAt: z.number().nullable(),
  currentPeriodEnd: z.number().nullable(),
  seats: z.object({ used: z.number().int(), limit }),
  limits: z.object({ seats: limit, projects: limit }),
  usage: z.object({ seats: z.number().int(), projects: z.number().int() }),
  overLimit: z.object({ seats: z.boolean(), projects: z.boolean() }),
});
export const redirectResponse = z.object({ url: z.url() });
export const seatChangeResponse = z.object({ status: z.literal('requested'), quantity: z.number().int(), appliesNow: z.boolean() });
export const webhookReceivedResponse = z.object({ received: z.literal(true) });
