import { Hono } from 'hono';
import type { AppEnv } from '../../platform/env';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/permissions';
import { checkoutBody, seatChangeBody } from './schema';
import { getBillingSummary, openBillingPortal, requestSeatChange, startCheckout } from './service';

/** Mounted at /api/t/:tenant/billing. Only owners manage billing. */
export const billingRoutes = new Hono<AppEnv>()
  .get('/', requirePermission('billing:read'), async (c) => {
    return c.json(await getBillingSummary(c.var.tenantCtx, c.env));
  })
  .post('/checkout', requirePermission('billing:manage'), validate('json', checkoutBody), async (c) => {
    return c.json(await startCheckout(c.var.tenantCtx, c.env, c.req.valid('json')));
  })
  .post('/portal', requirePermission('billing:manage'), async (c) => {
    return c.json(await openBillingPortal(c.var.tenantCtx, c.env));
  })
  .post('/seats', requirePermission('billing:manage'), validate('json', seatChangeBody), async (c) => {
    const { appliesNow } = await requestSeatChange(c.var.tenantCtx, c.env, c.req.valid('json'));
    return c.json({ status: 'requested', quantity: c.req.valid('json').quantity, appliesNow }, 202);
  });
