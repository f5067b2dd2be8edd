import { z } from 'zod';

export const tenantName = z.string().trim().min(1, 'Name is required').max(100);

export const createTenantBody = z.strictObject({ name: tenantName });
export type CreateTenantBody = z.infer<typeof createTenantBody>;
export const renameTenantBody = z.strictObject({ name: tenantName });

/** Deleting asks for the slug typed out, so it is never one careless click. */
export const deleteTenantForm = (slug: string) =>
  z.strictObject({ confirm: z.string().trim().refine((typed) => typed === slug, `Type ${slug} exactly to confirm`) });
