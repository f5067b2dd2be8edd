/**
 * The round-trip budget of every route in the app's route table: D1 round
 * trips (a statement or a batch is one) and Durable Object calls made before
 * the response, for a representative successful request.
 * test/workers/round-trip-budget.test.ts walks the route table and fails for
 * a route over its budget, or missing here.
 *
 * The rules the numbers follow (issue 15): who is calling and where is one
 * round trip; a tenant read is at most two (one when it is batched with the
 * resolution); a change, its audit row and its guard are one batch.
 */
export interface Budget {
  d1: number;
  durableObject?: number;
  /** Why a route needs more than the rule gives it. */
  why?: string;
}

const CHECK_THEN_BATCH = 'reads the row (or the plan) to decide, then the change, its audit row and its guard in one batch';
const PAGE = 'the session and membership in one statement, the page\'s reads, the chrome\'s viewer (person and organisations) in one batch';

const RATE_LIMIT = "the rate limit's lease from the tenant's object (one call when the isolate holds none, else none; no D1; docs/decisions/0024-request-path-fixed-cost.md)";
const CALLER_RATE_LIMIT = "the rate limit's lease from the caller's object (one call when the isolate holds none, else none; no D1; docs/decisions/0024-request-path-fixed-cost.md)";
/** /api routes walked without a credential: sign-up and sign-in have their own limiters, the reference costs nothing. */
const ANONYMOUS_API = new Set(['POST /api/auth/signup', 'POST /api/auth/login', 'GET /api/openapi.json', 'GET /api/docs']);

function rateLimitOf(route: string): string | undefined {
  if (route.includes(' /api/t/:tenant')) return RATE_LIMIT;
  if (route.includes(' /api/') && !ANONYMOUS_API.has(route)) return CALLER_RATE_LIMIT;
  return undefined;
}

/** Every signed-in /api route: its own budget plus, at most, the rate limit's one Durable Object call for a lease (the tenant's, or the caller's). */
function withRateLimits(budgets: Record<string, Budget>): Record<string, Budget> {
  return Object.fromEntries(
    Object.entries(budgets).map(([route, budget]) => {
      const limit = rateLimitOf(route);
      return [route, limit ? { ...budget, durableObject: (budget.durableObject ?? 0) + 1, why: budget.why ? `${budget.why}; ${limit}` : limit } : budget];
    }),
  );
}

export const BUDGETS: Record<string, Budget> = withRateLimits({
  'GET /healthz': { d1: 0 },
  // The API reference: built from the route table in the Worker, read by anyone.
  'GET /api/openapi.json': { d1: 0 },
  'GET /api/docs': { d1: 0 },

  // No tenant in the path: who is calling is one statement.
  'POST /api/auth/signup': { d1: 3, why: 'is the address taken; the person, the organisation and the verification email in one batch (no session: issue 17 #10); the account outbox claimed for sending (waitUntil, started before the answer)' },
  'POST /api/auth/login': { d1: 2, why: 'the person by address (the password is checked in the Worker), then their server-side session row inserted' },
  'POST /api/auth/logout': { d1: 2, why: 'the live session with its user (who is calling), then the session revoked' },
  'POST /api/auth/verify-email/resend': { d1: 3, why: 'who is calling, the new verification token and email in one batch, the account outbox claimed for sending (waitUntil)' },
  'POST /api/me/mfa/setup': { d1: 2, why: 'who is calling, then the pending secret stored' },
  'GET /api/me/sessions': { d1: 2 },
  'DELETE /api/me/sessions': { d1: 2 },
  'GET /api/me/security-log': { d1: 2 },
  'GET /api/me': { d1: 1, why: 'who is calling, the person and their organisations in one batch (platform/auth/with-resolution.ts)' },
  'POST /api/tenants': { d1: 2 },
  'POST /api/invitations/:token/accept': { d1: 3, durableObject: 1, why: 'the invitation by token, then the seat moves in the object, then membership, invitation and audit in one batch' },

  // Tenant routes: who and where is one statement (GET /api/t/:tenant is nothing else).
  'GET /api/t/:tenant': { d1: 1 },
  'PATCH /api/t/:tenant': { d1: 2 },
  'DELETE /api/t/:tenant': { d1: 3, durableObject: 1, why: 'the subscription to cancel at Stripe first, then the record and every row in one batch' },
  'GET /api/t/:tenant/export': { d1: 2, why: 'who and where, then every table and the export\'s audit row in one batch' },

  'GET /api/t/:tenant/projects': { d1: 1, why: 'who and where and the projects in one batch (platform/auth/with-resolution.ts)' },
  'POST /api/t/:tenant/projects': { d1: 2, why: 'who and where with the plan (limits) in one batch, then the guarded insert and its audit row in one batch' },
  'GET /api/t/:tenant/projects/:id': { d1: 2 },
  'PATCH /api/t/:tenant/projects/:id': { d1: 3, why: 'the project, the plan and the project count in one batch (a rename over the limit is refused), then the change and its audit row in one batch' },
  'DELETE /api/t/:tenant/projects/:id': { d1: 3, why: CHECK_THEN_BATCH },

  'GET /api/t/:tenant/members': { d1: 1, why: 'who and where and the members in one batch (platform/auth/with-resolution.ts)' },
  'PATCH /api/t/:tenant/members/:userId': { d1: 4, why: `${CHECK_THEN_BATCH}; the updated list read back` },
  'DELETE /api/t/:tenant/members/:userId': { d1: 4, durableObject: 1, why: `the membership and the invitation it came from, then ${CHECK_THEN_BATCH}; the seat released in the object` },

  'GET /api/t/:tenant/invitations': { d1: 1, why: 'who and where and the pending invitations in one batch' },
  'POST /api/t/:tenant/invitations': { d1: 5, durableObject: 1, why: 'is the address a member already; the seat reserved in the object; invitation, email and audit in one batch; the tenant\'s outbox claimed for sending (waitUntil, after the answer, but started before it)' },
  'DELETE /api/t/:tenant/invitations/:id': { d1: 3, durableObject: 1, why: `${CHECK_THEN_BATCH}; the seat released in the object` },

  'GET /api/t/:tenant/billing': { d1: 2, durableObject: 1 },
  'POST /api/t/:tenant/billing/checkout': { d1: 6, durableObject: 3, why: 'the billing summary, the Stripe customer stored once it exists, with its audit rows. The tenant object three times: take the checkout lease, count the seats in use, give the lease back (in finally). Left so: the count could ride on the lease (3 to 2), but the lease is deliberately D1-free (the count may recompute from D1) and must not fail with the count; and the route waits on three or more Stripe API calls, each far slower than an object call' },
  'POST /api/t/:tenant/billing/portal': { d1: 2 },
  'POST /api/t/:tenant/billing/seats': { d1: 2 },

  'GET /api/t/:tenant/audit-log': { d1: 2 },
  'GET /api/t/:tenant/usage': { d1: 2 },

  'GET /api/t/:tenant/api-keys': { d1: 1, why: 'who and where and the live keys in one batch' },
  'POST /api/t/:tenant/api-keys': { d1: 2 },
  'DELETE /api/t/:tenant/api-keys/:id': { d1: 3, why: CHECK_THEN_BATCH },

  // Pages.
  'GET /': { d1: 2, why: 'the session, then the viewer in one batch' },
  'GET /signin': { d1: 0 },
  'GET /signup': { d1: 0 },
  'GET /tenants/new': { d1: 2, why: 'the session, then the viewer in one batch' },
  'GET /invitations/:token': { d1: 1 },
  'GET /dev/mailbox': { d1: 3, why: 'development only' },
  'GET /t/:tenant': { d1: 4, durableObject: 1, why: `${PAGE}: the dashboard reads the billing summary and the members` },
  'GET /t/:tenant/projects': { d1: 4, why: `${PAGE}: the projects and the plan's limit` },
  'GET /t/:tenant/projects/:id/delete': { d1: 3, why: `${PAGE}: the confirmation page's project` },
  'GET /t/:tenant/members': { d1: 4, durableObject: 1, why: `${PAGE}: members and invitations; the seats in use from the tenant object` },
  'GET /t/:tenant/members/:userId/role': { d1: 3, why: `${PAGE}: the confirmation page's member` },
  'GET /t/:tenant/members/:userId/remove': { d1: 3, why: `${PAGE}: the confirmation page's member` },
  'GET /t/:tenant/members/invitations/:id/revoke': { d1: 3, why: `${PAGE}: the confirmation page's invitation` },
  'GET /t/:tenant/billing/seats': { d1: 3, durableObject: 1, why: `${PAGE}: the billing summary` },
  'GET /t/:tenant/billing': { d1: 3, durableObject: 1, why: `${PAGE}: the billing summary` },
  'GET /t/:tenant/audit-log': { d1: 5, why: `${PAGE}: the entries, their actors and the members' security events` },
  'GET /t/:tenant/audit-log/export.csv': { d1: 3, why: 'the session and membership, the entries, then their actors' },
  'GET /t/:tenant/api-keys': { d1: 3, why: PAGE },
  'GET /t/:tenant/api-keys/:id/revoke': { d1: 3, why: `${PAGE}: the confirmation page's key` },
  'GET /t/:tenant/settings': { d1: 3, why: 'the session and membership, the tenant\'s 2FA requirement (owners), then the viewer' },
  'GET /t/:tenant/settings/export': { d1: 2, why: 'as GET /api/t/:tenant/export' },
  'GET /assets/:file': { d1: 0 },
  'GET /account': { d1: 5, why: `the session, the viewer in one batch, then the account's sessions, its security events and its email state` },
  'GET /account/two-factor': { d1: 3, why: PAGE },
  'GET /forgot-password': { d1: 2, why: 'the session (a signed-in visitor), then the viewer' },
  'GET /reset-password': { d1: 2, why: 'the session (a signed-in visitor), then the viewer' },
  'GET /verify-email': { d1: 2, why: 'the session (a signed-in visitor), then the viewer' },
});

const NEEDS_SECRET = 'needs a secret the walk cannot hold (an emailed token, an authenticator code, the current password); its flow is tested in test/workers/account.test.ts';
const FORM_OF_ACCOUNT = 'a form twin of an /api/me or /api/auth route (test/workers/account.test.ts)';

/**
 * Routes in the table that the walk does not send a request to, and why.
 * Each has an API twin that is walked (the page forms call the same services).
 */
export const NOT_WALKED: Record<string, string> = {
  'POST /webhooks/stripe': 'verify, store, enqueue: one insert (test/workers/billing.test.ts); no caller to resolve',
  'GET /ops/stripe-events': 'operator console: one read behind the operator token',
  'POST /ops/stripe-events/:id/replay': 'operator console',
  'GET /ops/tenants/:tenant/timeline': 'operator console: its reads are per tenant, by id',
  'GET /ops/console': 'operator console, behind the operator\'s identity (test/workers/ops*.test.ts)',
  'GET /ops/console/health': 'operator console, behind the operator\'s identity (test/workers/ops*.test.ts)',
  'GET /ops/console/sign-in': 'operator console, behind the operator\'s identity (test/workers/ops*.test.ts)',
  'GET /ops/console/tenants/:tenant': 'operator console, behind the operator\'s identity (test/workers/ops*.test.ts)',
  'GET /ops/health': 'operator console, behind the operator\'s identity (test/workers/ops*.test.ts)',
  'GET /ops/tenants': 'operator console, behind the operator\'s identity (test/workers/ops*.test.ts)',
  'GET /ops/tenants/:tenant/usage': 'operator console, behind the operator\'s identity (test/workers/ops*.test.ts)',
  'GET /ops/economics': 'operator console: both lists in one batch, behind the operator\'s identity (test/workers/economics.test.ts counts it)',
  'GET /ops/console/economics': 'operator console: the same batch as GET /ops/economics (test/workers/economics.test.ts)',
  'POST /ops/console/emails/:id/retry': 'operator console, behind the operator\'s identity (test/workers/ops*.test.ts)',
  'POST /ops/console/events/:id/replay': 'operator console, behind the operator\'s identity (test/workers/ops*.test.ts)',
  'POST /ops/console/sign-in': 'operator console, behind the operator\'s identity (test/workers/ops*.test.ts)',
  'POST /signin': 'the form twin of POST /api/auth/login',
  'POST /signup': 'the form twin of POST /api/auth/signup',
  'POST /signout': 'no D1',
  'POST /invitations/:token': 'the form twin of POST /api/invitations/:token/accept',
  'POST /tenants/new': 'the form twin of POST /api/tenants',
  'POST /t/:tenant/projects': 'the form twin of POST /api/t/:tenant/projects',
  'POST /t/:tenant/projects/:id/delete': 'the form twin of DELETE /api/t/:tenant/projects/:id',
  'POST /t/:tenant/members/invitations': 'the form twin of POST /api/t/:tenant/invitations',
  'POST /t/:tenant/members/invitations/:id/revoke': 'the form twin of DELETE /api/t/:tenant/invitations/:id',
  'POST /t/:tenant/members/:userId/role': 'the form twin of PATCH /api/t/:tenant/members/:userId',
  'POST /t/:tenant/members/:userId/remove': 'the form twin of DELETE /api/t/:tenant/members/:userId',
  'POST /t/:tenant/billing/checkout': 'the form twin of POST /api/t/:tenant/billing/checkout',
  'POST /t/:tenant/billing/portal': 'the form twin of POST /api/t/:tenant/billing/portal',
  'POST /t/:tenant/billing/seats': 'the form twin of POST /api/t/:tenant/billing/seats',
  'POST /t/:tenant/api-keys': 'the form twin of POST /api/t/:tenant/api-keys',
  'POST /t/:tenant/api-keys/:id/revoke': 'the form twin of DELETE /api/t/:tenant/api-keys/:id',
  'POST /t/:tenant/settings': 'the form twin of PATCH /api/t/:tenant',
  'POST /t/:tenant/settings/delete': 'the form twin of DELETE /api/t/:tenant',
  'POST /t/:tenant/settings/require-mfa': 'the form twin of PATCH /api/t/:tenant',
  'POST /t/:tenant/members/invitations/:id/resend': 'a form: the invitation email queued again, as POST /api/t/:tenant/invitations does',
  'POST /api/auth/login/mfa': NEEDS_SECRET,
  'POST /api/auth/verify-email': NEEDS_SECRET,
  'POST /api/auth/password-reset': NEEDS_SECRET,
  'POST /api/auth/password-reset/confirm': NEEDS_SECRET,
  'POST /api/me/password': NEEDS_SECRET,
  'POST /api/me/email': NEEDS_SECRET,
  'DELETE /api/me/sessions/:id': 'needs a second session of the same person; as DELETE /api/me/sessions, one revoke after who is calling',
  'POST /api/me/mfa/confirm': NEEDS_SECRET,
  'POST /api/me/mfa/disable': NEEDS_SECRET,
  'GET /signin/mfa': 'the second sign-in step shows the first step\'s kept form (a cookie the walk does not hold); the code is checked by POST /api/auth/login/mfa\'s service',
  'POST /signin/mfa': FORM_OF_ACCOUNT,
  'POST /account/email': FORM_OF_ACCOUNT,
  'POST /account/password': FORM_OF_ACCOUNT,
  'POST /account/sessions/revoke-others': FORM_OF_ACCOUNT,
  'POST /account/sessions/:id/revoke': FORM_OF_ACCOUNT,
  'POST /account/verify-email/resend': FORM_OF_ACCOUNT,
  'POST /account/two-factor/setup': FORM_OF_ACCOUNT,
  'POST /account/two-factor/confirm': FORM_OF_ACCOUNT,
  'POST /account/two-factor/disable': FORM_OF_ACCOUNT,
  'POST /forgot-password': FORM_OF_ACCOUNT,
  'POST /reset-password': FORM_OF_ACCOUNT,
  'POST /verify-email': FORM_OF_ACCOUNT,
};
