import { z } from 'zod';
import { ROLES } from '../../platform/db/schema';

export const role = z.enum(ROLES);
export const memberParams = z.object({ userId: z.string().min(1).max(64) });
export const changeRoleBody = z.strictObject({ role });
export type ChangeRoleBody = z.infer<typeof changeRoleBody>;
