import { tenantSection } from '../../platform/feature';
import { billingPages, billingTab } from './pages';
import { billingPermissions } from './permissions';
import { billingRoutes } from './routes';
import { stripeFormTargets } from './stripe';
import { deadStripeEventsConsumer, stripeEventsConsumer } from './sync/consumer';
import { reconcileSubscriptions, sweepStripeEvents } from './sync/jobs';
import { stripeWebhookRoutes } from './sync/webhook-routes';

/** Besides its section: Stripe's webhook, its queue consumers, the cron's sweep and reconciliation, and Stripe's hosts in the CSP. */
export const billing = tenantSection(
  'billing',
  { api: billingRoutes, pages: billingPages, tab: billingTab, permissions: billingPermissions },
  {
    routes: [{ path: '/webhooks', app: stripeWebhookRoutes }],
    formTargets: [stripeFormTargets],
    queues: [deadStripeEventsConsumer, stripeEventsConsumer],
    jobs: [sweepStripeEvents, reconcileSubscriptions],
  },
);
