import { z } from 'zod';
import { nextCursorOut, roleOut, timestampOut, userOut } from '../../platform/http/outputs';

const memberOut = z.object({ user: userOut, role: roleOut, joinedAt: timestampOut });
export const memberResponse = z.object({ member: memberOut });
export const memberListResponse = z.object({ members: z.array(memberOut), nextCursor: nextCursorOut });
