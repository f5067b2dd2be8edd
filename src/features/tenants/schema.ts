import { z } from 'zod';

export const tenantName = z.string().trim().min(1, 'Name is required').max(100);

export const createTenantBody = z.strictObject({ name: tenantName });
export type CreateTenantBody = z.infer<typeof createTenantBody>;
export const renameTenantBody = z.strictObject({ name: tenantName });
