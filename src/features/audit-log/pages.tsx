/**
 * The audit log: newest first, a page at a time (the service's cursor), as
 * sentences with names; the codes, ids and request id one click away.
 * Filters by action group, actor and days; the filtered log as CSV.
 */
import type { Context } from 'hono';
import { tenantPageApp } from '../../platform/http/apps';
import { requirePermission } from '../../platform/tenancy/guard';
import { Field, SelectField, type FormState } from '../../platform/ui/form';
import { DataTable, formatTime } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import type { NavTab, TenantPageEnv } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import { listMembers } from '../members/service';
import { ACTION_GROUPS, auditLogQuery } from './inputs';
import { auditPermissions } from './permissions';
import { actorName, sentence, type People } from './sentences';
import { exportAuditLog, listAuditLog, peopleIn, type AuditEntryView } from './service';

export const auditLogTab: NavTab = { label: 'Audit log', path: 'audit-log', permission: auditPermissions.read };

const PAGE_SIZE = 25;
const FILTERS = ['action', 'group', 'actor', 'from', 'to'] as const;

const GROUP_LABELS: Record<(typeof ACTION_GROUPS)[number], string> = {
  member: 'Members',
  invitation: 'Invitations',
  project: 'Projects',
  api_key: 'API keys',
  billing: 'Billing',
  subscription: 'Subscription (Stripe)',
  tenant: 'Organisation',
};

/** The filters given in the URL, as typed (empty ones left out). */
function filterValues(c: Context<TenantPageEnv>): Record<string, string> {
  return Object.fromEntries(FILTERS.map((key) => [key, c.req.query(key)?.trim() ?? '']).filter(([, value]) => value !== ''));
}

const EntryDetails = ({ entry }: { entry: AuditEntryView }) => (
  <details class="entry">
    <summary>Details</summary>
    <dl class="facts">
      <dt>Action</dt>
      <dd>
        <code>{entry.action}</code>
      </dd>
      <dt>Actor</dt>
      <dd>
        {entry.actor.type} <code class="id">{entry.actor.id ?? '—'}</code>
      </dd>
      {entry.target && (
        <>
          <dt>Target</dt>
          <dd>
            {entry.target.type} <code class="id">{entry.target.id}</code>
          </dd>
        </>
      )}
      {entry.metadata && (
        <>
          <dt>Data</dt>
          <dd>
            <code class="id">{JSON.stringify(entry.metadata)}</code>
          </dd>
        </>
      )}
      <dt>Request</dt>
      <dd>
        <code class="id">{entry.requestId ?? '—'}</code>
      </dd>
    </dl>
  </details>
);

/** One CSV cell: quoted, and a leading = + - @ defused so a spreadsheet does not run it as a formula. */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}

function toCsv(entries: AuditEntryView[], people: People): string {
  const head = ['time_utc', 'what', 'action', 'actor', 'actor_type', 'actor_id', 'target_type', 'target_id', 'data', 'request_id'];
  const rows = entries.map((e) => [
    new Date(e.at).toISOString(),
    sentence(e, people),
    e.action,
    actorName(e, people),
    e.actor.type,
    e.actor.id ?? '',
    e.target?.type ?? '',
    e.target?.id ?? '',
    e.metadata ? JSON.stringify(e.metadata) : '',
    e.requestId ?? '',
  ]);
  return [head, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Mounted at /t/:tenant/audit-log. */
export const auditLogPages = tenantPageApp()
  .get('/', requirePermission(auditPermissions.read), async (c) => {
    const ctx = c.get('tenantCtx');
    const base = tenantPath(ctx.tenant, 'audit-log');
    const filters = filterValues(c);
    const cursor = c.req.query('cursor') ?? '';
    const query = auditLogQuery.safeParse({ limit: PAGE_SIZE, ...filters, ...(cursor ? { cursor } : {}) });
    const errors: FormState['errors'] = query.success ? {} : Object.fromEntries(query.error.issues.map((i) => [String(i.path[0] ?? '_form'), [i.message]]));
    const filter: FormState = { values: filters, errors };

    const [page, members] = await Promise.all([query.success ? listAuditLog(ctx, query.data) : Promise.resolve(null), listMembers(ctx)]);
    const people = page ? await peopleIn(ctx, page.entries) : new Map();
    const filtered = Object.keys(filters).length > 0;
    const search = (params: Record<string, string>) => new URLSearchParams({ ...filters, ...params }).toString();

    return renderPage(
      c,
      { title: 'Audit log', tab: auditLogTab, status: query.success ? 200 : 400 },
      <>
        <h1>Audit log</h1>
        <section class="card" aria-labelledby="filter-heading">
          <h2 id="filter-heading">Filter</h2>
          <form method="get" action={base} role="search" aria-label="Filter the audit log">
            <div class="filters">
              <SelectField
                name="group"
                label="What"
                state={filter}
                options={[{ value: '', label: 'Everything' }, ...ACTION_GROUPS.map((g) => ({ value: g, label: GROUP_LABELS[g] }))]}
              />
              <SelectField
                name="actor"
                label="Who"
                state={filter}
                options={[{ value: '', label: 'Anyone' }, ...members.map((m) => ({ value: m.user.id, label: `${m.user.name} (${m.user.email})` }))]}
              />
              <Field name="from" label="From" type="date" state={filter} />
              <Field name="to" label="To" type="date" state={filter} />
            </div>
            {filters.action && <input type="hidden" name="action" value={filters.action} />}
            <div class="actions">
              <button type="submit">Filter</button>
              {filtered && (
                <a class="button secondary" href={base}>
                  Clear
                </a>
              )}
              {query.success && (
                <a class="button secondary" href={`${base}/export.csv?${search({})}`} download>
                  Export CSV{filtered ? ' (filtered)' : ''}
                </a>
              )}
            </div>
          </form>
        </section>
        {page && (
          <>
            <DataTable
              caption={filtered ? 'Matching entries, newest first' : 'All entries, newest first'}
              head={['When', 'What happened']}
              empty={filtered ? 'No entries match these filters.' : 'Nothing recorded yet.'}
              stacked
              rows={page.entries.map((e) => (
                <tr>
                  <td class="nowrap">{formatTime(e.at)}</td>
                  <td>
                    <span class="sentence">{sentence(e, people)}</span>
                    <EntryDetails entry={e} />
                  </td>
                </tr>
              ))}
            />
            <nav class="pager" aria-label="Audit log pages">
              {cursor ? <a href={`${base}?${search({})}`}>Newest entries</a> : <span />}
              {page.nextCursor !== null && (
                <a href={`${base}?${search({ cursor: String(page.nextCursor) })}`} rel="next">
                  Older entries
                </a>
              )}
            </nav>
          </>
        )}
      </>,
    );
  })
  .get('/export.csv', requirePermission(auditPermissions.read), async (c) => {
    const ctx = c.get('tenantCtx');
    const query = auditLogQuery.safeParse({ ...filterValues(c) });
    if (!query.success) return c.text(query.error.issues.map((i) => i.message).join('\n'), 400);
    const entries = await exportAuditLog(ctx, query.data);
    const csv = toCsv(entries, await peopleIn(ctx, entries));
    const day = new Date().toISOString().slice(0, 10);
    return c.body(csv, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${ctx.tenant.slug}-audit-log-${day}.csv"`,
    });
  });
