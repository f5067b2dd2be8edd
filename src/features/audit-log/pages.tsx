/** The audit log: newest first, a page at a time (the service's cursor), filterable by action. */
import { tenantPageApp } from '../../platform/http/apps';
import { requirePermission } from '../../platform/tenancy/guard';
import { can } from '../../platform/tenancy/policy';
import { Field, type FormState } from '../../platform/ui/form';
import { DataTable, formatTime } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import type { NavTab } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import { memberPermissions } from '../members/permissions';
import { listMembers } from '../members/service';
import { auditLogQuery } from './inputs';
import { auditPermissions } from './permissions';
import { listAuditLog, type AuditEntryView } from './service';

export const auditLogTab: NavTab = { label: 'Audit log', path: 'audit-log', permission: auditPermissions.read };

const PAGE_SIZE = 25;

function describeActor(actor: AuditEntryView['actor'], emails: Map<string, string>): string {
  if (actor.type === 'user' && actor.id) return emails.get(actor.id) ?? `user ${actor.id}`;
  if (actor.type === 'api_key') return `API key ${actor.id ?? ''}`.trim();
  if (actor.type === 'operator') return `Support: ${actor.id ?? 'operator'}`;
  return actor.type === 'system' ? 'System' : actor.type;
}

function describeDetails(metadata: AuditEntryView['metadata']): string {
  if (!metadata) return '';
  const show = (value: unknown): string =>
    value !== null && typeof value === 'object'
      ? Object.entries(value)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ')
      : String(value);
  return Object.entries(metadata)
    .map(([key, value]) => `${key}: ${show(value)}`)
    .join(', ');
}

/** Mounted at /t/:tenant/audit-log. */
export const auditLogPages = tenantPageApp().get('/', requirePermission(auditPermissions.read), async (c) => {
  const ctx = c.var.tenantCtx;
  const base = tenantPath(ctx.tenant, 'audit-log');
  const action = c.req.query('action')?.trim() ?? '';
  const cursor = c.req.query('cursor') ?? '';
  const query = auditLogQuery.safeParse({ limit: PAGE_SIZE, ...(action ? { action } : {}), ...(cursor ? { cursor } : {}) });
  const filter: FormState = { values: { action }, errors: query.success ? {} : { action: query.error.issues.map((i) => i.message) } };

  const [page, members] = await Promise.all([
    query.success ? listAuditLog(ctx, query.data) : Promise.resolve(null),
    can(ctx.role, memberPermissions.read) ? listMembers(ctx) : Promise.resolve([]),
  ]);
  const emails = new Map(members.map((m) => [m.user.id, m.user.email]));
  const link = (params: Record<string, string>) => `${base}?${new URLSearchParams({ ...(action ? { action } : {}), ...params })}`;

  return renderPage(
    c,
    { title: 'Audit log', tab: auditLogTab, status: query.success ? 200 : 400 },
    <>
      <h1>Audit log</h1>
      <section class="card" aria-labelledby="filter-heading">
        <h2 id="filter-heading" class="visually-hidden">
          Filter
        </h2>
        <form method="get" action={base} class="inline-form" role="search" aria-label="Filter the audit log">
          <Field name="action" label="Action" type="search" state={filter} placeholder="e.g. member.added" hint="An exact action, entity.verb." />
          <button type="submit">Filter</button>
          {action && (
            <a class="button secondary" href={base}>
              Clear
            </a>
          )}
        </form>
      </section>
      {page && (
        <>
          <DataTable
            caption={action ? `Entries for ${action}` : 'All entries, newest first'}
            head={['When', 'Action', 'Actor', 'Target', 'Details', 'Request']}
            empty={action ? `No ${action} entries.` : 'Nothing recorded yet.'}
            dense
            rows={page.entries.map((e) => (
              <tr>
                <td class="nowrap">{formatTime(e.at)}</td>
                <td class="nowrap">
                  <code>{e.action}</code>
                </td>
                <td>{describeActor(e.actor, emails)}</td>
                <td>
                  {e.target ? (
                    <>
                      {e.target.type} <code class="id">{e.target.id}</code>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{describeDetails(e.metadata)}</td>
                <td class="mono id">{e.requestId ?? ''}</td>
              </tr>
            ))}
          />
          <nav class="pager" aria-label="Audit log pages">
            {cursor ? <a href={link({})}>Newest entries</a> : <span />}
            {page.nextCursor !== null && (
              <a href={link({ cursor: String(page.nextCursor) })} rel="next">
                Older entries
              </a>
            )}
          </nav>
        </>
      )}
    </>,
  );
});
