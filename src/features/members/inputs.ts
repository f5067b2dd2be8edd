import { z } from 'zod';
import { entityId, role } from '../../platform/fields';

export const memberParams = z.object({ userId: entityId });
export const changeRoleBody = z.strictObject({ role });
export type ChangeRoleBody = z.infer<typeof changeRoleBody>;
