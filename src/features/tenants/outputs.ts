import { z } from 'zod';
import { roleOut, tenantOut } from '../../platform/http/outputs';

export const tenantResponse = z.object({ tenant: tenantOut.extend({ requireMfa: z.boolean().optional() }) });
export const tenantWithRoleResponse = z.object({ tenant: tenantOut, role: roleOut });
/** Every table of the tenant, without secrets; its rows are the tables' own columns. */
export const tenantExportResponse = z.looseObject({
  format: z.number().int(),
  exportedAt: z.string(),
  tenant: z.looseObject({ id: z.string(), slug: z.string(), name: z.string() }),
  members: z.array(z.unknown()),
  invitations: z.array(z.unknown()),
  projects: z.array(z.unknown()),
  apiKeys: z.array(z.unknown()),
  subscription: z.unknown(),
  emails: z.array(z.unknown()),
  auditLog: z.array(z.unknown()),
});
