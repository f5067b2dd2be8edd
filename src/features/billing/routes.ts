import { verifiedEmailOnly } from '../../platform/auth/middleware';
import { idempotent } from '../../platform/http/idempotency';
import { describe } from '../../platform/http/route-doc';
import { billingSummaryResponse, redirectResponse, seatChangeResponse } from './outputs';
import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/guard';
import { openBillingPortal, requestSeatChange, startCheckout } from './checkout';
import { checkoutBody, seatChangeBody } from './inputs';
import { billingPermissions } from './permissions';
import { getBillingSummary } from './summary';

/** Mounted at /api/t/:tenant/billing. Only owners manage billing. */
export const billingRoutes = tenantApp()
  .get('/', describe({ summary: 'Plan, status, seats, limits and usage', response: { status: 200, schema: billingSummaryResponse } }), requirePermission(billingPermissions.read), async (c) => {
    return c.json(await getBillingSummary(c.get('tenantCtx')));
  })
  .post('/checkout', describe({ summary: 'Start a Stripe Checkout for pro seats', errors: [409, 503], response: { status: 200, schema: redirectResponse } }), requirePermission(billingPermissions.manage), verifiedEmailOnly(), validate('json', checkoutBody), idempotent(), async (c) => {
    return c.json(await startCheckout(c.get('tenantCtx'), c.req.valid('json')));
  })
  .post('/portal', describe({ summary: "Open Stripe's customer portal", errors: [409, 503], response: { status: 200, schema: redirectResponse } }), requirePermission(billingPermissions.manage), async (c) => {
    return c.json(await openBillingPortal(c.get('tenantCtx')));
  })
  .post('/seats', describe({ summary: 'Change the number of pro seats (applies when Stripe confirms)', errors: [402, 409, 503], response: { status: 202, schema: seatChangeResponse } }), requirePermission(billingPermissions.manage), validate('json', seatChangeBody), async (c) => {
    const { appliesNow } = await requestSeatChange(c.get('tenantCtx'), c.req.valid('json'));
    return c.json({ status: 'requested', quantity: c.req.valid('json').quantity, appliesNow }, 202);
  });
