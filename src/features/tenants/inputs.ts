import { z } from 'zod';
import { humanName } from '../../platform/fields';

export const tenantName = humanName();

export const createTenantBody = z.strictObject({ name: tenantName });
export const renameTenantBody = z.strictObject({ name: tenantName });
/** PATCH /api/t/:tenant: a new name, and (owners only) whether members need 2FA. */
export const updateTenantBody = z
  .strictObject({ name: tenantName.optional(), requireMfa: z.boolean().optional() })
  .refine((body) => body.name !== undefined || body.requireMfa !== undefined, 'Give a name or requireMfa');

/** The settings page's toggle. */
export const requireMfaForm = z.strictObject({ requireMfa: z.enum(['true', 'false']).transform((v) => v === 'true') });

/** Deleting asks for the slug typed out, so it is never one careless click. */
export const deleteTenantForm = (slug: string) =>
  z.strictObject({ confirm: z.string().trim().refine((typed) => typed === slug, `Type ${slug} exactly to confirm`) });
