import { z } from 'zod';
import { roleOut, tenantOut, userOut } from '../../platform/http/outputs';

/** Sent: the confirmation link, or the account owner's notice; which of the two is told only to the inbox. */
export const signupOut = z.object({ status: z.literal('confirmation_sent'), email: z.string() });
const signedInOut = z.object({ user: userOut, token: z.string() });
/** Signed in, or (the account has two-factor on) a token to present with a code at /api/auth/login/mfa. */
export const loginOut = z.union([signedInOut, z.object({ mfaRequired: z.literal(true), mfaToken: z.string() })]);
export const mfaLoginOut = signedInOut;
export const meOut = z.object({
  user: userOut,
  memberships: z.array(z.object({ tenant: tenantOut, role: roleOut })),
  emailVerified: z.boolean(),
  mfaEnabled: z.boolean(),
});
