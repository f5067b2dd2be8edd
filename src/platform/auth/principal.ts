import type { Role } from '../db/schema';

/** Who is calling: a signed-in person, or a machine holding one tenant's API key. */
export type Principal =
  | { type: 'user'; userId: string; email: string }
  | {
      type: 'api_key';
      userId: null;
      apiKeyId: string;
      tenantId: string;
      role: Role;
      /** `["read"]`, or permission names; null: everything its role allows. */
      scopes: readonly string[] | null;
    };
