import { z } from 'zod';
import { roleOut, tenantOut, userOut } from '../../platform/http/outputs';

export const signupOut = z.object({ user: userOut, tenant: tenantOut.nullable(), token: z.string() });
export const loginOut = z.object({ user: userOut, token: z.string() });
export const meOut = z.object({ user: userOut, memberships: z.array(z.object({ tenant: tenantOut, role: roleOut })) });
