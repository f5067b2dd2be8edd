import type { Feature } from '../../platform/feature';
import { billingPages, billingTab } from './pages';
import { billingPermissions } from './permissions';
import { billingRoutes } from './routes';
import { stripeFormTargets } from './stripe';
import { deadStripeEventsConsumer, stripeEventsConsumer } from './sync/consumer';
import { reconcileSubscriptions, sweepStripeEvents } from './sync/jobs';
import { stripeWebhookRoutes } from './sync/webhook-routes';

export const billing: Feature = {
  name: 'billing',
  routes: [{ path: '/webhooks', app: stripeWebhookRoutes }],
  tenantApi: [{ path: '/billing', app: billingRoutes }],
  tenantPages: [{ path: '/billing', app: billingPages }],
  tab: billingTab,
  permissions: Object.values(billingPermissions),
  formTargets: [stripeFormTargets],
  queues: [deadStripeEventsConsumer, stripeEventsConsumer],
  jobs: [sweepStripeEvents, reconcileSubscriptions],
};
