import { z } from 'zod';
import { roleOut, tenantOut, userOut } from '../../platform/http/outputs';

export const signupOut = z.object({ user: userOut, tenant: tenantOut.nullable(), token: z.string() });
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
