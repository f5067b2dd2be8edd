import { z } from 'zod';

export const checkoutBody = z.strictObject({
  plan: z.enum(['pro', 'enterprise']),
  seats: z.coerce.number().int().min(1).max(1000),
});
export type CheckoutBody = z.infer<typeof checkoutBody>;

export const seatChangeBody = z.strictObject({ quantity: z.coerce.number().int().min(1).max(1000) });
export type SeatChangeBody = z.infer<typeof seatChangeBody>;
