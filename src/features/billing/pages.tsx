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
import { redirectWithFlash, type Flash } from '../../platform/ui/flash';
import { buttonAction, EMPTY_FORM, Field, formAction, FormErrors, type FormState, type PageStatus } from '../../platform/ui/form';
import { Form, formatTime } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import type { NavTab, TenantPageEnv } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import { openBillingPortal, requestSeatChange, startCheckout } from './checkout';
import { checkoutBody, MAX_SEATS, seatChangeBody } from './inputs';
import { billingPermissions } from './permissions';
import { PLAN_TABLE } from './plans';
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

interface BillingForms {
  upgrade: FormState;
  seats: FormState;
}

const NO_FORMS: BillingForms = { upgrade: EMPTY_FORM, seats: EMPTY_FORM };

async function billingPage(c: Context<TenantPageEnv>, forms: BillingForms = NO_FORMS, status: PageStatus = 200, flash?: Flash) {
  const ctx = c.var.tenantCtx;
  const base = tenantPath(ctx.tenant, 'billing');
  const csrf = c.var.csrfToken;
  const summary = await getBillingSummary(ctx);
  const manage = can(ctx.role, billingPermissions.manage);

  // Back from Checkout: the redirect grants nothing, the webhook does. Wait for it, visibly.
  const checkout = c.req.query('checkout');
  const waited = Number(c.req.query('wait') ?? '0') || 0;
  const processing = checkout === 'success' && summary.plan === 'free';
  const keepRefreshing = processing && waited < MAX_REFRESHES;
  let notice = flash;
  if (!notice && processing) {
    notice = keepRefreshing
      ? { kind: 'info', message: 'Processing your payment… This page updates by itself as soon as Stripe confirms it.' }
      : { kind: 'info', message: 'Your payment is still being confirmed by Stripe. This can take a few minutes: reload this page later.' };
  } else if (!notice && checkout === 'success') {
    notice = { kind: 'success', message: `Payment received: you are on ${PLAN_TABLE[summary.plan].label}.` };
  } else if (!notice && checkout === 'canceled') {
    notice = { kind: 'info', message: 'Checkout canceled. Nothing was charged.' };
  }
  const refreshUrl = `${base}?${new URLSearchParams({ checkout: 'success', wait: String(waited + 1) })}`;

  return renderPage(
    c,
    { title: 'Billing', tab: billingTab, status, flash: notice, refresh: keepRefreshing ? { seconds: REFRESH_SECONDS, url: refreshUrl } : undefined },
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
            {PLAN_TABLE.pro.label}: $12 per seat per month, up to {PLAN_TABLE.pro.projects} projects. {PLAN_TABLE.enterprise.label} (unlimited projects, priced per
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
          <Form csrf={csrf} action={`${base}/seats`} class="inline-form" label="Change seats">
            <FormErrors state={forms.seats} />
            <SeatsField
              name="quantity"
              state={forms.seats}
              used={summary.seats.used}
              initial={summary.seats.limit ?? summary.seats.used}
              hint="Prorated. Fewer seats apply at once; more seats once Stripe confirms the payment."
            />
            <button type="submit">Request change</button>
          </Form>
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

/** Mounted at /t/:tenant/billing. Only owners manage billing (billing:manage). */
export const billingPages = tenantPageApp()
  .get('/', requirePermission(billingPermissions.read), (c) => billingPage(c))
  .post('/checkout', requirePermission(billingPermissions.manage), (c) =>
    formAction(c, checkoutBody, {
      submit: async (input) => {
        if (!currentUser(c)?.emailVerified) throw emailUnverified();
        return c.redirect((await startCheckout(c.var.tenantCtx, input)).url, 303);
      },
      render: (c, state, status, flash) => billingPage(c, { ...NO_FORMS, upgrade: state }, status, flash),
    }),
  )
  .post('/portal', requirePermission(billingPermissions.manage), (c) =>
    buttonAction(c, tenantPath(c.var.tenantCtx.tenant, 'billing'), async () => c.redirect((await openBillingPortal(c.var.tenantCtx)).url, 303)),
  )
  .post('/seats', requirePermission(billingPermissions.manage), (c) =>
    formAction(c, seatChangeBody, {
      submit: async (input) => {
        const { appliesNow } = await requestSeatChange(c.var.tenantCtx, input);
        return redirectWithFlash(c, tenantPath(c.var.tenantCtx.tenant, 'billing'), {
          kind: 'success',
          message: appliesNow ? `You now have ${input.quantity} seats.` : `Change to ${input.quantity} seats requested; it takes effect when Stripe confirms it.`,
        });
      },
      render: (c, state, status, flash) => billingPage(c, { ...NO_FORMS, seats: state }, status, flash),
    }),
  );
