/**
 * Billing: the plan, its status and seats, and the ways to change them, all
 * through Stripe: upgrade goes to Checkout, "Manage billing" to the portal,
 * and nothing changes here until Stripe's webhook says so. Back from
 * Checkout, the page refreshes itself (no JavaScript) until it does.
 */
import { emailUnverified } from '../../platform/auth/middleware';
import { currentUser } from '../../platform/ui/page-session';
import type { Context } from 'hono';
import type { FC } from 'hono/jsx';
import { tenantPageApp } from '../../platform/http/apps';
import { requirePermission } from '../../platform/tenancy/guard';
import { can } from '../../platform/tenancy/policy';
import { redirectWithFlash, takeFlash, type Flash } from '../../platform/ui/flash';
import { AppError } from '../../platform/errors';
import { confirmPage } from '../../platform/ui/confirm';
import { buttonAction, Field, formAction, FormErrors, keptForm, type FormState } from '../../platform/ui/form';
import { Form, formatTime } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import type { NavTab, TenantPageEnv } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import { openBillingPortal, requestSeatChange, startCheckout } from './checkout';
import { checkoutBody, MAX_SEATS, seatChangeBody, seatPreviewQuery } from './inputs';
import { billingPermissions } from './permissions';
import { PLAN_PRICES } from './plan-prices';
import { PLAN_TABLE } from './plans';
import { previewSeatChange, type SeatPreview } from './preview';
import { getBillingSummary, type BillingSummary } from './summary';

export const billingTab: NavTab = { label: 'Billing', path: 'billing', permission: billingPermissions.read };

/** A seat count: never below the seats in use, never above what one subscription sells. */
const SeatsField: FC<{ name: string; state: FormState; used: number; initial: number; hint: string }> = (p) => (
  <Field name={p.name} label="Seats" type="number" state={p.state} min={Math.max(1, p.used)} max={MAX_SEATS} initial={String(p.initial)} hint={p.hint} required />
);

/** Two seconds apart, for about a minute; then the page stops and says so. */
const REFRESH_SECONDS = 2;
const MAX_REFRESHES = 30;

const STATUS_LABELS: Record<string, string> = {
  none: 'No subscription',
  active: 'Active',
  trialing: 'Trial',
  past_due: 'Past due',
  incomplete: 'Incomplete',
  incomplete_expired: 'Expired',
  canceled: 'Canceled',
  unpaid: 'Unpaid',
  paused: 'Paused',
};

const SeatsBar: FC<{ summary: BillingSummary }> = ({ summary }) => {
  const { used, limit } = summary.seats;
  return (
    <div>
      <p class="value" id="seats-text">
        {limit === null ? `${used} seats used (no limit)` : `${used} of ${limit} seats used`}
      </p>
      {limit !== null && <meter min={0} max={limit} value={Math.min(used, limit)} high={limit} aria-labelledby="seats-text" />}
      <p class="muted">Members and pending invitations each take a seat.</p>
    </div>
  );
};

const UPGRADE_FORM = 'upgrade';
const SEATS_FORM = 'seats';

/** Money as Stripe counts it (minor units), in the invoice's currency. */
function formatMoney(amount: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
}

/** A seat increase asked of Stripe and not confirmed yet (`?seats=N`): shown, and the page refreshes until it lands. */
function pendingSeats(c: Context<TenantPageEnv>, summary: BillingSummary): { to: number; waited: number } | null {
  const to = Number(c.req.query('seats'));
  if (!Number.isInteger(to) || to < 1 || summary.seats.limit === to) return null;
  return { to, waited: Number(c.req.query('wait') ?? '0') || 0 };
}

async function billingPage(c: Context<TenantPageEnv>) {
  const ctx = c.get('tenantCtx');
  const base = tenantPath(ctx.tenant, 'billing');
  const csrf = c.get('csrfToken');
  const [summary, upgradeForm, seatsForm] = await Promise.all([getBillingSummary(ctx), keptForm(c, UPGRADE_FORM), keptForm(c, SEATS_FORM)]);
  const forms = { upgrade: upgradeForm, seats: seatsForm };
  const manage = can(ctx.role, billingPermissions.manage);
  const seatsAsked = Number(c.req.query('seats'));
  const pending = pendingSeats(c, summary);
  const keepWaitingForSeats = pending !== null && pending.waited < MAX_REFRESHES;

  // Back from Checkout: the redirect grants nothing, the webhook does. Wait for it, visibly.
  const checkout = c.req.query('checkout');
  const waited = Number(c.req.query('wait') ?? '0') || 0;
  const processing = checkout === 'success' && summary.plan === 'free';
  const keepRefreshing = processing && waited < MAX_REFRESHES;
  let notice: Flash | undefined;
  if (pending) {
    notice = keepWaitingForSeats
      ? { kind: 'info', message: `Stripe is confirming your change to ${pending.to} seats… This page updates by itself as soon as it lands.` }
      : { kind: 'info', message: `Your change to ${pending.to} seats is still being confirmed by Stripe. Reload this page in a few minutes.` };
  } else if (seatsAsked && summary.seats.limit === seatsAsked) {
    notice = { kind: 'success', message: `Confirmed: you now have ${seatsAsked} seats.` };
  } else if (processing) {
    notice = keepRefreshing
      ? { kind: 'info', message: 'Processing your payment… This page updates by itself as soon as Stripe confirms it.' }
      : { kind: 'info', message: 'Your payment is still being confirmed by Stripe. This can take a few minutes: reload this page later.' };
  } else if (checkout === 'success') {
    notice = { kind: 'success', message: `Payment received: you are on ${PLAN_TABLE[summary.plan].label}.` };
  } else if (checkout === 'canceled') {
    notice = { kind: 'info', message: 'Checkout canceled. Nothing was charged.' };
  }
  const refreshUrl = pending
    ? `${base}?${new URLSearchParams({ seats: String(pending.to), wait: String(pending.waited + 1) })}`
    : `${base}?${new URLSearchParams({ checkout: 'success', wait: String(waited + 1) })}`;
  const refresh = keepRefreshing || keepWaitingForSeats;

  return renderPage(
    c,
    // A flash from a post (a refusal, a reduction that applied) wins over the page's own notice.
    { title: 'Billing', tab: billingTab, flash: (await takeFlash(c)) ?? notice, refresh: refresh ? { seconds: REFRESH_SECONDS, url: refreshUrl } : undefined },
    <>
      <h1>Billing</h1>
      {summary.pastDue && (
        <div class="banner banner-warn" role="alert">
          <p>
            <strong>Your last payment failed.</strong> Your {PLAN_TABLE[summary.subscribedPlan].label} plan stays active until{' '}
            {formatTime(summary.graceEndsAt)}. {manage ? 'Update your payment method under Manage billing.' : 'Ask an owner to update the payment method.'}
          </p>
        </div>
      )}
      {(summary.overLimit.seats || summary.overLimit.projects) && (
        <div class="banner banner-warn" role="status">
          <p>
            This organisation has more {summary.overLimit.seats ? 'seats' : 'projects'} than the {PLAN_TABLE[summary.plan].label} plan allows. Nothing was deleted, but
            nothing new can be added until it is back within the limit.
          </p>
        </div>
      )}
      <div class="grid">
        <section class="stat" aria-labelledby="plan-heading">
          <h2 id="plan-heading">Plan</h2>
          <p class="value" data-testid="plan">
            {PLAN_TABLE[summary.plan].label}
          </p>
          <p class="muted">
            Status: <span data-testid="status">{STATUS_LABELS[summary.status] ?? summary.status}</span>
            {summary.currentPeriodEnd ? ` · renews ${formatTime(summary.currentPeriodEnd)}` : ''}
          </p>
        </section>
        <section class="stat" aria-labelledby="seats-heading">
          <h2 id="seats-heading">Seats</h2>
          <SeatsBar summary={summary} />
          {pending && (
            <p class="pill" data-testid="seats-pending">
              Change to {pending.to} seats pending Stripe's confirmation
            </p>
          )}
        </section>
        <section class="stat" aria-labelledby="projects-heading">
          <h2 id="projects-heading">Projects</h2>
          <p class="value">
            {summary.limits.projects === null ? `${summary.usage.projects} (no limit)` : `${summary.usage.projects} of ${summary.limits.projects}`}
          </p>
        </section>
      </div>

      {!manage && <p class="muted">Only owners can change the plan or payment details.</p>}

      {/* Not while a checkout is being confirmed: a second one would start a second subscription. */}
      {manage && summary.plan === 'free' && !processing && (
        <section class="card" aria-labelledby="upgrade-heading">
          <h2 id="upgrade-heading">Upgrade to {PLAN_TABLE.pro.label}</h2>
          <p>
            {PLAN_TABLE.pro.label}: ${PLAN_PRICES.pro.monthlyMinor / 100} per seat per month, up to {PLAN_TABLE.pro.projects} projects. {PLAN_TABLE.enterprise.label} (unlimited projects, priced per
            contract) is arranged with our sales team.
          </p>
          <Form csrf={csrf} action={`${base}/checkout`} label="Upgrade">
            <FormErrors state={forms.upgrade} />
            <input type="hidden" name="plan" value="pro" />
            <SeatsField
              name="seats"
              state={forms.upgrade}
              used={summary.seats.used}
              initial={Math.max(summary.seats.used, 5)}
              hint={`At least ${summary.seats.used}, the seats in use now. Pro is billed per seat.`}
            />
            <button type="submit">Continue to checkout</button>
          </Form>
        </section>
      )}

      {manage && summary.plan === 'pro' && (
        <section class="card" aria-labelledby="seats-form-heading">
          <h2 id="seats-form-heading">Change seats</h2>
          {/* A GET: the price comes first, on a confirmation page that posts the change. */}
          <form method="get" action={`${base}/seats`} class="inline-form" aria-label="Change seats">
            <FormErrors state={forms.seats} />
            <SeatsField
              name="quantity"
              state={forms.seats}
              used={summary.seats.used}
              initial={summary.seats.limit ?? summary.seats.used}
              hint="You see the price before anything changes. Fewer seats apply at once; more seats once Stripe confirms them."
            />
            <button type="submit">Review price</button>
          </form>
        </section>
      )}

      {manage && summary.subscribedPlan !== 'free' && (
        <section class="card" aria-labelledby="portal-heading">
          <h2 id="portal-heading">Payment details and invoices</h2>
          <p>Update the card, download invoices or cancel in Stripe's billing portal.</p>
          <Form csrf={csrf} action={`${base}/portal`} label="Manage billing">
            <button type="submit" class="secondary">
              Manage billing
            </button>
          </Form>
        </section>
      )}
    </>,
  );
}

/** The confirmation of a seat change, with its price from Stripe's preview. */
function seatConfirmation(c: Context<TenantPageEnv>, quote: SeatPreview) {
  const base = tenantPath(c.get('tenantCtx').tenant, 'billing');
  const money = (amount: number) => formatMoney(amount, quote.currency);
  const more = quote.to > quote.from;
  return confirmPage(c, {
    title: 'Change seats',
    tab: billingTab,
    question: more ? `Buy ${quote.to - quote.from} more ${quote.to - quote.from === 1 ? 'seat' : 'seats'}?` : `Go down to ${quote.to} seats?`,
    body: (
      <>
        <dl class="facts cost" data-testid="seat-quote">
          <dt>Seats</dt>
          <dd>
            {quote.from} → {quote.to}
          </dd>
          <dt>{quote.prorated < 0 ? 'Prorated credit for this month' : 'Prorated for the rest of this month'}</dt>
          <dd data-testid="prorated">{money(quote.prorated)}</dd>
          <dt>New monthly price</dt>
          <dd data-testid="new-monthly">{money(quote.nextMonthly)}</dd>
          <dt>Next invoice, {formatTime(quote.nextInvoiceAt)}</dt>
          <dd data-testid="next-invoice">{money(quote.nextInvoiceTotal)}</dd>
        </dl>
        <p>
          Nothing is charged today: the prorated amount is added to your next invoice, on {formatTime(quote.nextInvoiceAt)}, with the new monthly price.{' '}
          {more ? 'The new seats can be used as soon as Stripe confirms the change, usually within seconds.' : 'The seats go down at once.'}
        </p>
      </>
    ),
    action: `${base}/seats`,
    button: more ? `Buy seats: ${quote.to} in all` : `Change to ${quote.to} seats`,
    cancel: base,
    danger: false,
    fields: { quantity: String(quote.to), ...(quote.prorationDate ? { prorationDate: String(quote.prorationDate) } : {}) },
  });
}

/** Mounted at /t/:tenant/billing. Only owners manage billing (billing:manage). */
export const billingPages = tenantPageApp()
  .get('/', requirePermission(billingPermissions.read), (c) => billingPage(c))
  .post('/checkout', requirePermission(billingPermissions.manage), (c) =>
    formAction(c, checkoutBody, {
      submit: async (input) => {
        if (!currentUser(c)?.emailVerified) throw emailUnverified();
        return c.redirect((await startCheckout(c.get('tenantCtx'), input)).url, 303);
      },
      back: tenantPath(c.get('tenantCtx').tenant, 'billing'),
      formId: UPGRADE_FORM,
    }),
  )
  .post('/portal', requirePermission(billingPermissions.manage), (c) =>
    buttonAction(c, tenantPath(c.get('tenantCtx').tenant, 'billing'), async () => c.redirect((await openBillingPortal(c.get('tenantCtx'))).url, 303)),
  )
  .get('/seats', requirePermission(billingPermissions.manage), async (c) => {
    const back = tenantPath(c.get('tenantCtx').tenant, 'billing');
    const values = { quantity: c.req.query('quantity') ?? '' };
    const refuse = (errors: FormState['errors'], message: string) => redirectWithFlash(c, back, { kind: 'error', message, form: { id: SEATS_FORM, values, errors } });
    const query = seatPreviewQuery.safeParse(values);
    if (!query.success) return refuse({ quantity: query.error.issues.map((issue) => issue.message) }, 'Choose a number of seats.');
    try {
      return await seatConfirmation(c, await previewSeatChange(c.get('tenantCtx'), query.data));
    } catch (err) {
      if (!(err instanceof AppError) || err.code === 'internal') throw err;
      return refuse({ quantity: [err.message] }, err.message);
    }
  })
  .post('/seats', requirePermission(billingPermissions.manage), (c) => {
    const back = tenantPath(c.get('tenantCtx').tenant, 'billing');
    return formAction(c, seatChangeBody, {
      submit: async (input) => {
        const { appliesNow } = await requestSeatChange(c.get('tenantCtx'), input);
        if (appliesNow) return redirectWithFlash(c, back, { kind: 'success', message: `You now have ${input.quantity} seats.` });
        // An increase waits for Stripe's webhook: the page shows it pending and refreshes until it lands.
        return c.redirect(`${back}?${new URLSearchParams({ seats: String(input.quantity) })}`, 303);
      },
      back,
      formId: SEATS_FORM,
    });
  });
