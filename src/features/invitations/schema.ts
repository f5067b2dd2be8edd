import { z } from 'zod';
import { email } from '../auth/schema';
import { role } from '../members/schema';

export const createInvitationBody = z.strictObject({ email, role });
export type CreateInvitationBody = z.infer<typeof createInvitationBody>;

export const invitationParams = z.object({ id: z.string().min(1).max(64) });
/** Tokens are 32 random bytes, base64url: 43 characters. */
export const tokenParams = z.object({ token: z.string().regex(/^[\w-]{43}$/, 'Not an invitation token') });
