import { z } from 'zod';
import { entityId, humanName, role } from '../../platform/fields';
import { READ_SCOPE } from '../../platform/tenancy/policy';

/** A key lives 90 days unless asked otherwise, and at most a year: a leaked key dies on its own. */
export const DEFAULT_API_KEY_DAYS = 90;

export const createApiKeyBody = z.strictObject({
  name: humanName(),
  role,
  scopes: z
    .array(z.string().regex(/^(read|[a-z_]+:[a-z_]+)$/, 'A scope is "read" or a permission name such as projects:write'))
    .min(1)
    .max(20)
    .optional()
    .describe('["read"]: reads only; or permission names the role holds; absent: everything the role allows'),
  expiresInDays: z.number().int().min(1).max(365).default(DEFAULT_API_KEY_DAYS),
});
export type CreateApiKeyBody = z.infer<typeof createApiKeyBody>;

/** What a key may do, as the page's form asks it: a choice, and the permission names when it is `listed`. */
export const API_KEY_ACCESS = ['role', 'read', 'listed'] as const;

/**
 * The page's form of `createApiKeyBody` (fields are strings, one value
 * each): `access` picks everything the role allows, reads only, or the
 * permissions written in `scopes` (separated by spaces or commas).
 */
export const createApiKeyForm = z
  .strictObject({
    name: humanName(),
    role,
    access: z.enum(API_KEY_ACCESS).default('role'),
    scopes: z.string().max(500).optional(),
    expiresInDays: z.coerce.number<string>().int('Whole days').min(1, 'At least 1 day').max(365, 'At most 365 days').default(DEFAULT_API_KEY_DAYS),
  })
  .superRefine((form, issues) => {
    if (form.access === 'listed' && permissionNames(form.scopes).length === 0) {
      issues.addIssue({ code: 'custom', path: ['scopes'], message: 'List at least one permission, such as projects:write.' });
    }
  });

function permissionNames(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter((name) => name !== '');
}

/** The form's answer as the API's body: the service checks the scopes against the role either way. */
export function apiKeyBodyFromForm(form: z.output<typeof createApiKeyForm>): CreateApiKeyBody {
  const scopes = form.access === 'read' ? [READ_SCOPE] : form.access === 'listed' ? permissionNames(form.scopes) : undefined;
  return { name: form.name, role: form.role, scopes, expiresInDays: form.expiresInDays };
}
export const apiKeyParams = z.object({ id: entityId });
