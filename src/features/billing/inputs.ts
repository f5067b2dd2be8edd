import { z } from 'zod';

/** The most seats one self-serve subscription buys; beyond it, talk to sales. */
export const MAX_SEATS = 1000;

/** Self-serve checkout sells pro seats; enterprise is arranged with sales (its seats live in Stripe metadata). */
export const checkoutBody = z.strictObject({
  plan: z.literal('pro', { error: 'Only the pro plan can be bought here; contact sales for enterprise' }),
  seats: z.coerce.number().int().min(1).max(MAX_SEATS),
});
export type CheckoutBody = z.infer<typeof checkoutBody>;

export const seatChangeBody = z.strictObject({ quantity: z.coerce.number().int().min(1).max(MAX_SEATS) });
export type SeatChangeBody = z.infer<typeof seatChangeBody>;
