/**
 * The counting objects' lease methods (`TenantDO.leaseRequests`,
 * `CallerLimiter.lease`), as their `do.call` wide events name them: the cost
 * harness (a Node script: hence a module with no imports) and its check count
 * these calls apart, since which operation happens to take a lease depends on
 * where it fell in a lease and a minute window (decision 0024).
 */
export const LEASE_METHODS: readonly string[] = ['leaseRequests', 'lease'];
