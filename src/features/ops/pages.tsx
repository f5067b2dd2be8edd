/**
 * The operator console: server-rendered pages under /ops/console, behind
 * the pages' own middleware (CSP, CSRF token on every form, no-store) and
 * the operator's identity (operator.ts). Find a tenant; see its timeline
 * and usage; replay dead Stripe events; retry failed emails; the health
 * figures; what each tenant costs beside what it pays.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { setCookie } from 'hono/cookie';
import { z } from 'zod';
import { requestContext } from '../../platform/http/request-context';
import { pageApp } from '../../platform/http/apps';
import { AppError } from '../../platform/errors';
import { Field, readForm, readParams, type FormState } from '../../platform/ui/form';
import { DataTable, Form, formatTime } from '../../platform/ui/layout';
import { buttonAction } from '../../platform/ui/form';
import { renderPage } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import { secretsEqual } from '../../platform/crypto';
import { economicsOfTenant, tenantEconomics, type TenantEconomics } from './economics';
import { economicsQuery } from './inputs';
import { identifyOperator, OPS_COOKIE, type Operator } from './operator';
import { listDeadEvents, listFailedEmails, opsHealth, replayDeadEvent, retryFailedEmail, searchTenants, tenantTimelineForOperator, type OpsHealth } from './service';

export const CONSOLE = '/ops/console';
const SIGN_IN = `${CONSOLE}/sign-in`;

/** The operator of each console request, found once by `operatorPages`. */
const operators = new WeakMap<Request, Operator>();
function operatorOf(c: Context<PageEnv>): Operator {
  const operator = operators.get(c.req.raw);
  if (!operator) throw new AppError('unauthenticated', 'Operator sign-in required');
  return operator;
}

/** The operator, or the console's sign-in page (a 401 for anything but a GET). */
const operatorPages: MiddlewareHandler<PageEnv> = async (c, next) => {
  try {
    operators.set(c.req.raw, await identifyOperator(c));
  } catch (err) {
    if (err instanceof AppError && err.code === 'unauthenticated' && c.req.method === 'GET' && !c.env.ACCESS_AUD) return c.redirect(SIGN_IN, 303);
    throw err;
  }
  await next();
};

const tokenForm = z.object({ token: z.string().min(1, 'Enter the operator token').max(500) });
const searchParams = z.object({ q: z.string().trim().max(200).optional() });
const tenantParams = z.object({ tenant: z.string().min(1).max(100) });
const eventParams = z.object({ id: z.string().startsWith('evt_').max(100) });
const emailParams = z.object({ id: z.string().startsWith('eml_').max(100) });

const signInPage = (c: Parameters<typeof renderPage>[0], state: FormState, status: 200 | 400 | 401 = 200) =>
  renderPage(
    c,
    { title: 'Operator sign-in', narrow: true, status },
    <section class="card">
      <h1>Operator sign-in</h1>
      <p class="muted">Development only: deployed, Cloudflare Access signs operators in.</p>
      <Form csrf={c.get('csrfToken')} action={SIGN_IN} label="Operator sign-in">
        <Field name="token" label="Operator token" state={state} />
        <button type="submit">Sign in</button>
      </Form>
    </section>,
  );

/** Cents for a month's revenue; two significant figures for the fractions of a cent a small tenant costs. */
const money = (usd: number) => (usd !== 0 && Math.abs(usd) < 0.01 ? `$${usd.toPrecision(2)}` : `$${usd.toFixed(2)}`);

/** One list of tenants with their 30 days' cost beside their revenue, and a link to its next page. */
const EconomicsTable = ({ list, caption, empty, next }: { list: TenantEconomics['byCost']; caption: string; empty: string; next: (page: number) => string }) => (
  <>
    <DataTable
      caption={caption}
      dense
      head={['Tenant', 'Plan', 'Seats', 'Requests', 'D1 rows read', 'D1 rows written', 'Object calls', 'Cost, 30 days', 'Revenue, monthly', 'Margin']}
      empty={empty}
      rows={list.tenants.map((t) => (
        <tr class={t.marginUsd < 0 ? 'error' : undefined}>
          <td>
            <a href={`${CONSOLE}/tenants/${t.tenant.id}`}>{t.tenant.name}</a>
          </td>
          <td>
            {t.plan} ({t.status})
          </td>
          <td>{t.seats ?? '—'}</td>
          <td>{t.usage.requests}</td>
          <td>{t.usage.d1RowsRead}</td>
          <td>{t.usage.d1RowsWritten}</td>
          <td>{t.usage.doCalls}</td>
          <td>{money(t.costUsd)}</td>
          <td>{money(t.revenueUsd)}</td>
          <td>{money(t.marginUsd)}</td>
        </tr>
      ))}
    />
    {list.nextPage && (
      <p>
        <a href={next(list.nextPage)}>Next page</a>
      </p>
    )}
  </>
);

const HealthFacts = ({ health }: { health: OpsHealth }) => (
  <dl class="facts" data-testid="health">
    <dt>Dead Stripe events</dt>
    <dd>{health.deadEvents}</dd>
    <dt>Oldest unprocessed event</dt>
    <dd>{health.oldestUnprocessedEventAgeSeconds} s</dd>
    <dt>Outbox</dt>
    <dd>
      {health.outbox.pending} pending, {health.outbox.failed} failed
    </dd>
    <dt>Reconciliation lag</dt>
    <dd>{health.reconciliationLagSeconds} s</dd>
    <dt>Errors, 5 min / 60 min</dt>
    <dd>
      {(health.errorRate5m * 100).toFixed(1)} % / {(health.errorRate60m * 100).toFixed(1)} % of {health.requests5m} / {health.requests60m} requests
    </dd>
    <dt>p95 latency, 5 min / 60 min</dt>
    <dd>
      {health.p95Ms5m} ms / {health.p95Ms60m} ms
    </dd>
  </dl>
);

/** Mounted at /ops/console. */
export const opsPages = pageApp()
  .get('/sign-in', async (c) => signInPage(c, { values: {}, errors: {} }))
  .post('/sign-in', async (c) => {
    const form = await readForm(c, tokenForm);
    if (!form.ok) return signInPage(c, form.state, 400);
    if (c.env.ACCESS_AUD || !c.env.OPS_TOKEN || !(await secretsEqual(form.data.token, c.env.OPS_TOKEN))) {
      return signInPage(c, { values: {}, errors: { token: ['That is not the operator token.'] } }, 401);
    }
    setCookie(c, OPS_COOKIE, form.data.token, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/ops', maxAge: 12 * 60 * 60 });
    return c.redirect(CONSOLE, 303);
  })
  .use('*', operatorPages)
  .get('/', async (c) => {
    const search = searchParams.safeParse({ q: c.req.query('q') });
    const q = search.success ? search.data.q : undefined;
    const ctx = requestContext(c);
    const [found, health, dead, failed] = await Promise.all([
      q ? searchTenants(ctx, q) : Promise.resolve(null),
      opsHealth(ctx),
      listDeadEvents(ctx, 50),
      listFailedEmails(ctx, 50),
    ]);
    return renderPage(
      c,
      { title: 'Operator console' },
      <>
        <div class="page-head">
          <h1>Operator console</h1>
          <p class="muted">Signed in as {operatorOf(c).id}</p>
        </div>
        <section class="card" aria-labelledby="find-heading">
          <h2 id="find-heading">Find a tenant</h2>
          <form method="get" action={CONSOLE} aria-label="Find a tenant">
            <Field name="q" label="Slug, id, member email or Stripe customer id" state={{ values: { q: q ?? '' }, errors: {} }} />
            <button type="submit">Find</button>
          </form>
          {found && (
            <DataTable
              caption={`Tenants matching “${q}”`}
              head={['Tenant', 'Slug', 'Id', 'Plan']}
              empty="No tenant matches."
              rows={found.tenants.map((t) => (
                <tr>
                  <td>
                    <a href={`${CONSOLE}/tenants/${t.id}`}>{t.name}</a>
                  </td>
                  <td>{t.slug}</td>
                  <td>
                    <code>{t.id}</code>
                  </td>
                  <td>{t.plan}</td>
                </tr>
              ))}
            />
          )}
        </section>
        <section class="card" aria-labelledby="health-heading">
          <h2 id="health-heading">
            Health <a href={`${CONSOLE}/health`}>(details)</a>
          </h2>
          <HealthFacts health={health} />
        </section>
        <p>
          <a href={`${CONSOLE}/economics`}>Unit economics: what each tenant costs beside what it pays</a>
        </p>
        <section class="card" aria-labelledby="dead-heading">
          <h2 id="dead-heading">Dead Stripe events</h2>
          <DataTable
            caption="Dead Stripe events"
            captionHidden
            head={['Event', 'Type', 'Attempts', 'Dead since', 'Last error', '']}
            empty="No dead events."
            rows={dead.map((e) => (
              <tr>
                <td>
                  <code>{e.id}</code>
                </td>
                <td>{e.type}</td>
                <td>{e.attempts}</td>
                <td>{formatTime(e.deadAt)}</td>
                <td>{e.lastError ?? ''}</td>
                <td>
                  <Form csrf={c.get('csrfToken')} action={`${CONSOLE}/events/${e.id}/replay`}>
                    <button type="submit" class="small" aria-label={`Replay ${e.id}`}>
                      Replay
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          />
        </section>
        <section class="card" aria-labelledby="emails-heading">
          <h2 id="emails-heading">Failed emails</h2>
          <DataTable
            caption="Failed emails"
            captionHidden
            head={['To', 'Subject', 'Tenant', 'Attempts', 'Last error', '']}
            empty="No failed emails."
            rows={failed.map((e) => (
              <tr>
                <td>{e.to}</td>
                <td>{e.subject}</td>
                <td>
                  <a href={`${CONSOLE}/tenants/${e.tenantId}`}>{e.tenantId}</a>
                </td>
                <td>{e.attempts}</td>
                <td>{e.lastError ?? ''}</td>
                <td>
                  <Form csrf={c.get('csrfToken')} action={`${CONSOLE}/emails/${e.id}/retry`}>
                    <button type="submit" class="small" aria-label={`Retry email to ${e.to}`}>
                      Retry
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          />
        </section>
      </>,
    );
  })
  .get('/health', async (c) => {
    const health = await opsHealth(requestContext(c));
    return renderPage(
      c,
      { title: 'Health', refresh: { seconds: 30 } },
      <section class="card">
        <h1>Health</h1>
        <HealthFacts health={health} />
        <p class="muted">Error rate and latency are this isolate's view; docs/operations/slo.md has the fleet-wide queries.</p>
      </section>,
    );
  })
  .get('/economics', async (c) => {
    const parsed = economicsQuery.safeParse(c.req.query());
    if (!parsed.success) throw new AppError('validation_failed', 'page, lossPage and limit are whole numbers from 1', { issues: parsed.error.issues });
    const query = parsed.data;
    const view = await tenantEconomics(requestContext(c), query);
    const link = (change: Partial<typeof query>) => `${CONSOLE}/economics?${new URLSearchParams(Object.entries({ ...query, ...change }).map(([k, v]) => [k, String(v)]))}`;
    return renderPage(
      c,
      { title: 'Unit economics' },
      <>
        <div class="page-head">
          <h1>Unit economics</h1>
          <p class="muted">
            <a href={CONSOLE}>Operator console</a> · each tenant's metered usage over the last {view.windowDays} days, priced at Cloudflare's list prices
            (docs/economics/prices.json, read {view.pricesReadOn}), beside what its subscription bills a month. Rolled up by each tenant's meter every{' '}
            {view.rollupEveryHours} hours; CPU time and storage are not metered per tenant and are not in the cost; a tenant with no usage in the window costs nothing and is not listed.
          </p>
        </div>
        <section class="card" aria-labelledby="losses-heading">
          <h2 id="losses-heading">Costs more than it pays</h2>
          <EconomicsTable list={view.losses} caption="Tenants that cost more than they pay" empty="Every tenant pays for what it uses." next={(lossPage) => link({ lossPage })} />
        </section>
        <section class="card" aria-labelledby="cost-heading">
          <h2 id="cost-heading">Tenants by cost</h2>
          <EconomicsTable list={view.byCost} caption="Tenants, most expensive first" empty="No metered usage yet." next={(page) => link({ page })} />
        </section>
      </>,
    );
  })
  .get('/tenants/:tenant', async (c) => {
    const { tenant: ref } = readParams(c, tenantParams);
    const ctx = requestContext(c);
    const view = await tenantTimelineForOperator(ctx, operatorOf(c), ref, 200);
    const economics = view.tenant ? await economicsOfTenant(ctx, view.tenant.id) : null;
    const name = view.tenant?.name ?? view.deleted?.slug ?? ref;
    const active = view.usage.filter((d) => d.requests || d.d1RowsRead || d.d1RowsWritten || d.doCalls || d.queueMessages || d.emails);
    return renderPage(
      c,
      { title: `Tenant ${name}` },
      <>
        <div class="page-head">
          <h1>{name}</h1>
          <p class="muted">
            <a href={CONSOLE}>Operator console</a> · {view.tenant ? `slug ${view.tenant.slug}, id ${view.tenant.id}` : 'deleted'} · plan {view.subscription?.plan ?? 'free'}
            {view.subscription?.stripeCustomerId ? ` · Stripe ${view.subscription.stripeCustomerId}` : ''}
          </p>
        </div>
        <section class="card" aria-labelledby="usage-heading">
          <h2 id="usage-heading">Usage, last 30 days</h2>
          <p data-testid="tenant-economics">
            {economics
              ? `Cost ${money(economics.costUsd)} over the last 30 days (metered, as of ${formatTime(economics.rolledUpAt)}) beside revenue ${money(economics.revenueUsd)} a month: margin ${money(economics.marginUsd)}.`
              : 'No cost rolled up yet: its meter writes one every few hours while it has usage.'}{' '}
            <a href={`${CONSOLE}/economics`}>All tenants</a>
          </p>
          <DataTable
            caption="Usage per day"
            captionHidden
            dense
            head={['Day', 'Requests', 'D1 rows read', 'D1 rows written', 'Object calls', 'Queue messages', 'Emails']}
            empty="No usage in the last 30 days."
            rows={active.map((d) => (
              <tr>
                <td>{d.date}</td>
                <td>{d.requests}</td>
                <td>{d.d1RowsRead}</td>
                <td>{d.d1RowsWritten}</td>
                <td>{d.doCalls}</td>
                <td>{d.queueMessages}</td>
                <td>{d.emails}</td>
              </tr>
            ))}
          />
        </section>
        <section class="card" aria-labelledby="timeline-heading">
          <h2 id="timeline-heading">Timeline</h2>
          <DataTable
            caption="Timeline, newest first"
            captionHidden
            dense
            head={['When', 'Source', 'What', 'Detail']}
            empty="Nothing recorded."
            rows={view.entries.map((e) => (
              <tr class={e.source === 'stripe' && e.detail.lastError ? 'error' : undefined}>
                <td>{formatTime(e.at)}</td>
                <td>{e.source}</td>
                <td>{e.what}</td>
                <td>
                  <code>{JSON.stringify(e.detail)}</code>
                </td>
              </tr>
            ))}
          />
        </section>
      </>,
    );
  })
  .post('/events/:id/replay', async (c) => {
    const { id } = readParams(c, eventParams);
    return buttonAction(c, CONSOLE, async () => {
      await replayDeadEvent(requestContext(c), operatorOf(c), id);
      return `Event ${id} is back on the queue.`;
    });
  })
  .post('/emails/:id/retry', async (c) => {
    const { id } = readParams(c, emailParams);
    return buttonAction(c, CONSOLE, async () => {
      await retryFailedEmail(requestContext(c), operatorOf(c), id, (work) => c.executionCtx.waitUntil(work));
      return 'The email will be sent again now.';
    });
  });
