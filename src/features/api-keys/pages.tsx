/** API keys: create (the secret is shown once, right after), list, revoke. */
import type { Context } from 'hono';
import { requirePermission } from '../../platform/tenancy/guard';
import { grantableRoles, READ_SCOPE } from '../../platform/tenancy/policy';
import { notFound } from '../../platform/errors';
import { confirmPage } from '../../platform/ui/confirm';
import { redirectWithFlash } from '../../platform/ui/flash';
import { buttonAction, Field, FormCard, readParams, SelectField, type FormState } from '../../platform/ui/form';
import { DataTable, formatTime, ROLE_LABELS, RowAction } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import { pageWithForm } from '../../platform/ui/page-with-form';
import type { NavTab, TenantPageEnv } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import type { API_KEY_ACCESS} from './inputs';
import { apiKeyBodyFromForm, apiKeyParams, createApiKeyForm, DEFAULT_API_KEY_DAYS } from './inputs';
import { scopesFor } from './scopes';
import { apiKeyPermissions } from './permissions';
import { createApiKey, listApiKeys, revokeApiKey } from './service';

export const apiKeysTab: NavTab = { label: 'API keys', path: 'api-keys', permission: apiKeyPermissions.manage };

const ACCESS_OPTIONS: { value: (typeof API_KEY_ACCESS)[number]; label: string }[] = [
  { value: 'role', label: "Everything its role allows" },
  { value: 'read', label: 'Read only' },
  { value: 'listed', label: 'Only the permissions listed below' },
];

function accessLabel(scopes: readonly string[] | null): string {
  if (scopes === null) return 'Everything its role allows';
  if (scopes.length === 1 && scopes[0] === READ_SCOPE) return 'Read only';
  return scopes.join(', ');
}

/** An expired key still shows (it is not revoked) but answers 401: say so. */
function Expiry({ at, now }: { at: number | null; now: number }) {
  if (at === null) return <>Never</>;
  return at <= now ? <span class="pill">Expired {formatTime(at)}</span> : <>{formatTime(at)}</>;
}

async function apiKeysPage(c: Context<TenantPageEnv>, state: FormState) {
  const ctx = c.get('tenantCtx');
  const base = tenantPath(ctx.tenant, 'api-keys');
  const csrf = c.get('csrfToken');
  const keys = await listApiKeys(ctx);
  const now = Date.now();
  const roles = grantableRoles(ctx.role).map((role) => ({ value: role, label: ROLE_LABELS[role] }));
  return renderPage(
    c,
    { title: 'API keys', tab: apiKeysTab },
    <>
      <h1>API keys</h1>
      <FormCard
        id="new-key-heading"
        heading="New API key"
        csrf={csrf}
        action={base}
        state={state}
        intro={
          <p class="muted">
            Send it as <code>Authorization: Bearer ssk_…</code>. A key acts with its role in this organisation only, and is revoked with its creator's
            membership.
          </p>
        }
      >
        <Field name="name" label="Name" state={state} placeholder="e.g. CI deploys" required />
        <SelectField name="role" label="Role" state={state} options={roles} initial="member" />
        <SelectField name="access" label="Access" state={state} options={ACCESS_OPTIONS} initial="role" />
        <Field
          name="scopes"
          label="Permissions (when access is limited to a list)"
          state={state}
          placeholder="e.g. projects:read projects:write"
          hint={`Separated by spaces; each held by the key's role. Yours: ${scopesFor(ctx.role).join(', ')}.`}
        />
        <Field name="expiresInDays" label="Expires in (days)" type="number" min={1} max={365} state={state} initial={String(DEFAULT_API_KEY_DAYS)} required />
        <button type="submit">Create key</button>
      </FormCard>
      <DataTable
        caption="Active keys"
        head={['Name', 'Key', 'Role', 'Access', 'Created', 'Expires', 'Last used', 'Actions']}
        empty="No API keys yet."
        rows={keys.map((k) => (
          <tr>
            <td>{k.name}</td>
            <td>
              <code>{k.prefix}…</code>
            </td>
            <td>
              <span class="pill">{ROLE_LABELS[k.role]}</span>
            </td>
            <td>{accessLabel(k.scopes)}</td>
            <td>{formatTime(k.createdAt)}</td>
            <td>
              <Expiry at={k.expiresAt} now={now} />
            </td>
            <td>{k.lastUsedAt ? formatTime(k.lastUsedAt) : 'Never'}</td>
            <td>
              <RowAction href={tenantPath(ctx.tenant, 'api-keys', k.id, 'revoke')} label="Revoke" describedAs={`Revoke ${k.name}`} />
            </td>
          </tr>
        ))}
      />
    </>,
  );
}

/** Mounted at /t/:tenant/api-keys. */
export const apiKeyPages = pageWithForm({
  view: apiKeyPermissions.manage,
  post: apiKeyPermissions.manage,
  schema: createApiKeyForm,
  page: apiKeysPage,
  // A scope the role does not hold is said next to the permissions field; a role above the creator's, above the form.
  refusalField: '_form',
  submit: async (c, input) => {
    const { apiKey, secret } = await createApiKey(c.get('tenantCtx'), apiKeyBodyFromForm(input));
    // The secret rides once in the sealed flash cookie to the next page, and is never shown again.
    return redirectWithFlash(c, c.req.path, {
      kind: 'success',
      message: `Key ${apiKey.name} created. Copy it now: it will not be shown again.`,
      reveal: { label: 'Your new API key:', value: secret },
    });
  },
})
  .get('/:id/revoke', requirePermission(apiKeyPermissions.manage), async (c) => {
    const { id } = readParams(c, apiKeyParams);
    const key = (await listApiKeys(c.get('tenantCtx'))).find((k) => k.id === id);
    if (!key) throw notFound('API key');
    const base = tenantPath(c.get('tenantCtx').tenant, 'api-keys');
    return confirmPage(c, {
      title: 'Revoke API key',
      tab: apiKeysTab,
      question: `Revoke ${key.name}?`,
      body: <p>Scripts and integrations using this key stop working at once. This cannot be undone: they will need a new key.</p>,
      action: `${base}/${key.id}/revoke`,
      button: 'Revoke key',
      cancel: base,
    });
  })
  .post('/:id/revoke', requirePermission(apiKeyPermissions.manage), (c) => {
    const { id } = readParams(c, apiKeyParams);
    return buttonAction(c, tenantPath(c.get('tenantCtx').tenant, 'api-keys'), async () => {
      await revokeApiKey(c.get('tenantCtx'), id);
      return 'Key revoked. Requests with it now fail.';
    });
  });
