import type { TenantDO } from '../features/seats/tenant-do';
import type { StripeEventMessage } from '../features/billing/events';
import type { Principal } from './auth/principal';
import type { TenantContext } from './tenancy/context';

/** Bindings and secrets the Worker is deployed with (wrangler.toml, `wrangler secret put`). */
export interface Env {
  DB: D1Database;
  /** One object per tenant (`idFromName(tenantId)`): the authority for seats and plan limits. */
  TENANT_DO: DurableObjectNamespace<TenantDO>;
  /** Current HMAC key for session JWTs. */
  JWT_SECRET: string;
  /** The key being rotated out: still verifies, never signs. */
  JWT_PREVIOUS_SECRET?: string;
  /** Sign-in attempts per email address (Workers rate limiting binding). */
  SIGNIN_LIMITER: RateLimit;
  /** Public origin of the app, used for links in emails and Stripe redirects. */
  APP_URL: string;
  /**
   * Cloudflare `send_email` binding and the sender address. Required outside
   * development and tests: without them every send fails and stays in the
   * outbox with its error (development and tests use the dev mailbox).
   */
  EMAIL?: SendEmail;
  EMAIL_FROM?: string;
  /** "development" and "test" enable the dev mailbox; "staging" and "production" do not. */
  ENVIRONMENT: string;

  /** Stripe: a test-mode key (`sk_test_…`); locally, any key the emulator accepts. */
  STRIPE_SECRET_KEY: string;
  /** Signing secret of the webhook endpoint (`whsec_…`). */
  STRIPE_WEBHOOK_SECRET: string;
  /** Set only to reach the local Stripe emulator instead of api.stripe.com. */
  STRIPE_API_HOST?: string;
  STRIPE_API_PORT?: string;
  STRIPE_API_PROTOCOL?: 'http' | 'https';
  STRIPE_PRICE_PRO: string;
  STRIPE_PRICE_ENTERPRISE: string;
  /** Webhook work, off the request path: `{ eventId }` per stored Stripe event. */
  STRIPE_EVENTS: Queue<StripeEventMessage>;
  /** Name of the dead-letter queue, so the one queue handler can tell the two apart. */
  STRIPE_EVENTS_DLQ: string;
  /** Bearer token for the operator endpoints under /ops (dead letters, replay, tenant timeline). */
  OPS_TOKEN?: string;
}

export interface AppVariables {
  requestId: string;
  /** The authenticated caller, when there is one. */
  principal?: Principal;
  /** Set by the tenancy middleware under /api/t/:tenant: the only door to tenant data. */
  tenantCtx: TenantContext;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
