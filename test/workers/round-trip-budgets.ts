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

export const BUDGETS: Record<string, Budget> = {
  // Sign-up, sign-in: no caller yet.
  'POST /api/auth/signup': { d1: 1, durableObject: 1, why: 'user, tenant, owner membership, subscription and audit in one batch; the new tenant object learns its limits' },
  'POST /api/auth/login': { d1: 1 },
  'POST /api/auth/logout': { d1: 0 },
  'GET /api/me': { d1: 2 },
  'POST /api/tenants': { d1: 2, durableObject: 1 },
  'POST /api/invitations/:token/accept': { d1: 3, durableObject: 1, why: 'the invitation by token, then the seat transfer in the object, then membership + invitation + audit in one batch' },

  'GET /api/t/:tenant': { d1: 1 },
  'PATCH /api/t/:tenant': { d1: 2 },
  'DELETE /api/t/:tenant': { d1: 3, durableObject: 1, why: 'the subscription to cancel, then every tenant row in one batch, then the object destroyed' },
  'GET /api/t/:tenant/export': { d1: 2 },

  'GET /api/t/:tenant/projects': { d1: 2 },
  'POST /api/t/:tenant/projects': { d1: 2, durableObject: 1 },
  'GET /api/t/:tenant/projects/:id': { d1: 2 },
  'PATCH /api/t/:tenant/projects/:id': { d1: 2 },
  'DELETE /api/t/:tenant/projects/:id': { d1: 2 },

  'GET /api/t/:tenant/members': { d1: 2 },
  'PATCH /api/t/:tenant/members/:userId': { d1: 2 },
  'DELETE /api/t/:tenant/members/:userId': { d1: 2, durableObject: 1 },

  'GET /api/t/:tenant/invitations': { d1: 2 },
  'POST /api/t/:tenant/invitations': { d1: 2, durableObject: 1 },
  'DELETE /api/t/:tenant/invitations/:id': { d1: 2, durableObject: 1 },

  'GET /api/t/:tenant/billing': { d1: 2, durableObject: 1 },
  'POST /api/t/:tenant/billing/checkout': { d1: 3, why: 'the subscription row, then the Stripe customer id stored once it exists' },
  'POST /api/t/:tenant/billing/portal': { d1: 2 },
  'POST /api/t/:tenant/billing/seats': { d1: 2 },

  'GET /api/t/:tenant/audit-log': { d1: 2 },

  'GET /api/t/:tenant/api-keys': { d1: 2 },
  'POST /api/t/:tenant/api-keys': { d1: 2 },
  'DELETE /api/t/:tenant/api-keys/:id': { d1: 2 },

  // Pages: the session and membership in one statement, the chrome's viewer in one batch, then the page's reads.
  'GET /': { d1: 2 },
  'GET /signin': { d1: 0 },
  'GET /signup': { d1: 0 },
  'GET /tenants/new': { d1: 2 },
  'GET /invitations/:token': { d1: 3 },
  'GET /dev/mailbox': { d1: 1 },
  'GET /t/:tenant': { d1: 3, durableObject: 1 },
  'GET /t/:tenant/projects': { d1: 3 },
  'GET /t/:tenant/members': { d1: 3 },
  'GET /t/:tenant/billing': { d1: 3, durableObject: 1 },
  'GET /t/:tenant/audit-log': { d1: 3 },
  'GET /t/:tenant/api-keys': { d1: 3 },
  'GET /t/:tenant/settings': { d1: 3 },
  'GET /t/:tenant/settings/export': { d1: 2 },
  'GET /assets/:file': { d1: 0 },
};

/**
 * Routes in the table that the walk does not send a request to, and why.
 * Each has an API twin that is walked (the page forms call the same services).
 */
export const NOT_WALKED: Record<string, string> = {
  'POST /webhooks/stripe': 'verify, store, enqueue: one insert (test/workers/billing.test.ts); no caller to resolve',
  'GET /ops/stripe-events': 'operator console: one read behind the operator token',
  'POST /ops/stripe-events/:id/replay': 'operator console',
  'GET /ops/tenants/:tenant/timeline': 'operator console: its reads are per tenant, by id',
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
};
