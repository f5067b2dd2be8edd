import { z } from 'zod';
import { humanName } from '../../platform/http/text';
import { tenantName } from '../tenants/schema';

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'Enter a valid email address' }))
  .refine((value) => value.length <= 254, 'Email is too long');

/** Long enough to matter, short enough that hashing it is not a denial of service. */
export const password = z.string().min(10, 'Use at least 10 characters').max(200, 'Use at most 200 characters');

export const signupBody = z.strictObject({
  email,
  password,
  name: humanName(),
  tenantName: tenantName.optional(),
});
export type SignupBody = z.infer<typeof signupBody>;

export const loginBody = z.strictObject({
  email,
  password: z.string().min(1).max(200),
});
export type LoginBody = z.infer<typeof loginBody>;
