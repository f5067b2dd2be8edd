import { z } from 'zod';
import { nextCursorOut, timestampOut } from '../../platform/http/outputs';

const projectOut = z.object({ id: z.string(), name: z.string(), createdAt: timestampOut, updatedAt: timestampOut });
export const projectResponse = z.object({ project: projectOut });
export const projectListResponse = z.object({ projects: z.array(projectOut), nextCursor: nextCursorOut });
