import { z } from 'zod';
import { humanName } from '../../platform/http/text';

export const projectName = humanName();

export const createProjectBody = z.strictObject({ name: projectName });
export const updateProjectBody = z.strictObject({ name: projectName });
export const projectParams = z.object({ id: z.string().min(1).max(64) });

export type CreateProjectBody = z.infer<typeof createProjectBody>;
export type UpdateProjectBody = z.infer<typeof updateProjectBody>;
