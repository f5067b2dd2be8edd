/** API keys: create (the secret is shown once, right after), list, revoke. */
import { Hono, type Context } from 'hono';
import { redirectWithFlash, type Flash } from '../../platform/ui/flash';
import { asFormError, EMPTY_FORM, Field, FormErrors, readForm, readParams, SelectField, type FormState } from '../../platform/ui/form';
import { DataTable, Form, formatTime, ROLE_LABELS, RowAction } from '../../platform/ui/layout';
import { renderPage, type PageOptions } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import { grantableRoles, requirePermission } from '../../platform/tenancy/permissions';
import { apiKeyParams, createApiKeyBody } from './schema';
import { createApiKey, listApiKeys, revokeApiKey } from './service';

async function apiKeysPage(c: Context<PageEnv>, state: FormState, status: PageOptions['status'] = 200, flash?: Flash) {
  const ctx = c.var.tenantCtx;
  const base = `/t/${ctx.tenant.slug}/api-keys`;
  const csrf = c.var.csrfToken;
  const keys = await listApiKeys(ctx);
  const roles = grantableRoles(ctx.role).map((role) => ({ value: role, label: ROLE_LABELS[role] }));
  return renderPage(
    c,
    { title: 'API keys', tab: 'api-keys', status, flash },
    <>
      <h1>API keys</h1>
      <section class="card" aria-labelledby="new-key-heading">
        <h2 id="new-key-heading">New API key</h2>
        <p class="muted">
          Send it as <code>Authorization: Bearer ssk_…</code>. A key acts with its role in this organisation only, and is revoked with its creator's
          membership.
        </p>
        <Form csrf={csrf} action={base} class="inline-form" label="New API key">
          <FormErrors state={state} />
          <Field name="name" label="Name" state={state} placeholder="e.g. CI deploys" required />
          <SelectField name="role" label="Role" state={state} options={roles} initial="member" />
          <button type="submit">Create key</button>
        </Form>
      </section>
      <DataTable
        caption="Active keys"
        head={['Name', 'Key', 'Role', 'Created', 'Last used', 'Actions']}
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
            <td>{formatTime(k.createdAt)}</td>
            <td>{k.lastUsedAt ? formatTime(k.lastUsedAt) : 'Never'}</td>
            <td>
              <RowAction csrf={csrf} action={`${base}/${encodeURIComponent(k.id)}/revoke`} label="Revoke" describedAs={`Revoke ${k.name}`} />
            </td>
          </tr>
        ))}
      />
    </>,
  );
}

/** Mounted at /t/:tenant/api-keys. */
export const apiKeyPages = new Hono<PageEnv>()
  .get('/', requirePermission('api_keys:manage'), (c) => apiKeysPage(c, EMPTY_FORM))
  .post('/', requirePermission('api_keys:manage'), async (c) => {
    const form = await readForm(c, createApiKeyBody);
    if (!form.ok) return apiKeysPage(c, form.state, 400);
    try {
      const { apiKey, secret } = await createApiKey(c.var.tenantCtx, form.data);
      // The secret rides once in the sealed flash cookie to the next page, and is never shown again.
      return await redirectWithFlash(c, c.req.path, {
        kind: 'success',
        message: `Key ${apiKey.name} created. Copy it now: it will not be shown again.`,
        reveal: { label: 'Your new API key:', value: secret },
      });
    } catch (err) {
      const refusal = asFormError(err);
      return apiKeysPage(c, form.state, refusal.status as PageOptions['status'], { kind: 'error', message: refusal.message });
    }
  })
  .post('/:id/revoke', requirePermission('api_keys:manage'), async (c) => {
    const { id } = readParams(c, apiKeyParams);
    const base = `/t/${c.var.tenantCtx.tenant.slug}/api-keys`;
    try {
      await revokeApiKey(c.var.tenantCtx, id);
      return await redirectWithFlash(c, base, { kind: 'success', message: 'Key revoked. Requests with it now fail.' });
    } catch (err) {
      return redirectWithFlash(c, base, { kind: 'error', message: asFormError(err).message });
    }
  });
