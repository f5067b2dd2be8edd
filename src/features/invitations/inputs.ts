import { z } from 'zod';
import { email, entityId, role } from '../../platform/fields';

export const createInvitationBody = z.strictObject({ email, role });
export type CreateInvitationBody = z.infer<typeof createInvitationBody>;

export const invitationParams = z.object({ id: entityId });
/** Tokens are 32 random bytes, base64url: 43 characters. */
export const tokenParams = z.object({ token: z.string().regex(/^[\w-]{43}$/, 'Not an invitation token') });

/** Accepting is one button: the form carries nothing but its CSRF token. */
export const acceptForm = z.strictObject({});
