import type { TenantDO } from '../features/seats/tenant-do';
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
  /** Public origin of the app, used for links in emails and Stripe redirects. */
  APP_URL: string;
  /** Set to "development" locally; enables the dev mailbox and relaxes cookie Secure-ness nowhere. */
  ENVIRONMENT: string;
}

export interface AppVariables {
  requestId: string;
  /** The authenticated caller, when there is one. */
  principal?: Principal;
  /** Set by the tenancy middleware under /api/t/:tenant: the only door to tenant data. */
  tenantCtx: TenantContext;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
