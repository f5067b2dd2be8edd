import { z } from 'zod';
import { email, humanName } from '../../platform/fields';
import { tenantName } from '../tenants/inputs';

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

export const mfaLoginBody = z.strictObject({
  mfaToken: z.string().min(1).max(2000),
  /** A 6-digit TOTP code or a recovery code (xxxxx-xxxxx). */
  code: z.string().trim().min(6).max(20),
});
export type MfaLoginBody = z.infer<typeof mfaLoginBody>;
