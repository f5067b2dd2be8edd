import { verifiedEmailOnly } from '../../platform/auth/middleware';
import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/guard';
import { openBillingPortal, requestSeatChange, startCheckout } from './checkout';
import { checkoutBody, seatChangeBody } from './inputs';
import { billingPermissions } from './permissions';
import { getBillingSummary } from './summary';

/** Mounted at /api/t/:tenant/billing. Only owners manage billing. */
export const billingRoutes = tenantApp()
  .get('/', requirePermission(billingPermissions.read), async (c) => {
    return c.json(await getBillingSummary(c.var.tenantCtx));
  })
  .post('/checkout', requirePermission(billingPermissions.manage), verifiedEmailOnly(), validate('json', checkoutBody), async (c) => {
    return c.json(await startCheckout(c.var.tenantCtx, c.req.valid('json')));
  })
  .post('/portal', requirePermission(billingPermissions.manage), async (c) => {
    return c.json(await openBillingPortal(c.var.tenantCtx));
  })
  .post('/seats', requirePermission(billingPermissions.manage), validate('json', seatChangeBody), async (c) => {
    const { appliesNow } = await requestSeatChange(c.var.tenantCtx, c.req.valid('json'));
    return c.json({ status: 'requested', quantity: c.req.valid('json').quantity, appliesNow }, 202);
  });
