import { z } from 'zod';

/** The most seats one self-serve subscription buys; beyond it, talk to sales. */
export const MAX_SEATS = 1000;

/** Self-serve checkout sells pro seats; enterprise is arranged with sales (its seats live in Stripe metadata). */
export const checkoutBody = z.strictObject({
  plan: z.literal('pro', { error: 'Only the pro plan can be bought here; contact sales for enterprise' }),
  seats: z.coerce.number().int().min(1).max(MAX_SEATS),
});
export type CheckoutBody = z.infer<typeof checkoutBody>;

const seatQuantity = z.coerce.number().int().min(1, 'At least 1 seat').max(MAX_SEATS, `At most ${MAX_SEATS} seats; for more, talk to sales`);

/** `prorationDate`: the `subscription_proration_date` of the preview the buyer saw, so the change bills exactly what was quoted. */
export const seatChangeBody = z.strictObject({ quantity: seatQuantity, prorationDate: z.coerce.number().int().positive().optional() });
export type SeatChangeBody = z.infer<typeof seatChangeBody>;

/** What a seat change would cost: the confirmation page (GET …/billing/seats?quantity=N). */
export const seatPreviewQuery = z.strictObject({ quantity: seatQuantity });
export type SeatPreviewQuery = z.infer<typeof seatPreviewQuery>;
