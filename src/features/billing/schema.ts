import { z } from 'zod';

/** Self-serve checkout sells pro seats; enterprise is arranged with sales (its seats live in Stripe metadata). */
export const checkoutBody = z.strictObject({
  plan: z.literal('pro', { error: 'Only the pro plan can be bought here; contact sales for enterprise' }),
  seats: z.coerce.number().int().min(1).max(1000),
});
export type CheckoutBody = z.infer<typeof checkoutBody>;

export const seatChangeBody = z.strictObject({ quantity: z.coerce.number().int().min(1).max(1000) });
export type SeatChangeBody = z.infer<typeof seatChangeBody>;
