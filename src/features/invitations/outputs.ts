import { z } from 'zod';
import { nextCursorOut, roleOut, tenantOut, timestampOut } from '../../platform/http/outputs';

const invitationOut = z.object({
  id: z.string(),
  email: z.string(),
  role: roleOut,
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  expiresAt: timestampOut,
  createdAt: timestampOut,
});
export const invitationCreatedResponse = z.object({ invitation: invitationOut, acceptUrl: z.url() });
export const invitationListResponse = z.object({ invitations: z.array(invitationOut), nextCursor: nextCursorOut });
export const acceptedResponse = z.object({ tenant: tenantOut, role: roleOut });
