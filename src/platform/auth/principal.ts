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
  | {
      type: 'api_key';
      userId: null;
      apiKeyId: string;
      tenantId: string;
      role: Role;
      createdBy: string;
      /** `["read"]`, or permission names; null: everything its role allows. */
      scopes: readonly string[] | null;
    };
