import type { Role } from '../db/schema';

/** Who is calling: a signed-in person, or a machine holding one tenant's API key. */
export type Principal =
  | {
      type: 'user';
      userId: string;
      email: string;
      /** The server-side session the token names (revocable). */
      sessionId: string;
      emailVerified: boolean;
      mfaEnabled: boolean;
    }
  /** `createdBy`: the person whose authority the key carries (it dies with their role or membership). */
  | { type: 'api_key'; userId: null; apiKeyId: string; tenantId: string; role: Role; createdBy: string };

/** The tenant a request's path names, the caller's role in it, and whether it requires its people to sign in with two factors. */
export interface Membership {
  tenant: { id: string; slug: string; name: string };
  role: Role;
  requireMfa: boolean;
}

/**
 * A credential's holder and, when the path names a tenant, their membership
 * in it: null when they are not a member or it does not exist. Both come
 * from one statement, so knowing who and where is one D1 round trip.
 */
export interface Caller {
  principal: Principal;
  membership?: Membership | null;
  /** The rows of the route's read, when it was batched with this resolution (platform/auth/with-resolution.ts). */
  companion?: unknown;
}
