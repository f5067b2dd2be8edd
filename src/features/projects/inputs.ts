import { z } from 'zod';
import { entityId, humanName } from '../../platform/fields';

const projectName = humanName();

export const createProjectBody = z.strictObject({ name: projectName });
export const updateProjectBody = z.strictObject({ name: projectName });
export const projectParams = z.object({ id: entityId });

export type CreateProjectBody = z.infer<typeof createProjectBody>;
export type UpdateProjectBody = z.infer<typeof updateProjectBody>;
