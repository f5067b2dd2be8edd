import { afterKey, type PageBounds } from '../../platform/pagination';
import { desc, eq, isNull } from 'drizzle-orm';
import type { Context } from 'hono';
import { tenantReadWithResolution } from '../../platform/auth/with-resolution';
import type { TenantEnv } from '../../platform/env';
import type { TenantReads } from '../../platform/tenancy/tenant-db';
import { auditEntry } from '../../platform/audit';
import type { CredentialResolver } from '../../platform/auth/middleware';
import type { TenantContext } from '../../platform/context';
import { randomToken, sha256Hex } from '../../platform/crypto';
import { apiKeyBySecretHash, noteApiKeyUse } from '../../platform/db/cross-tenant';
import { apiKeys, type Role } from '../../platform/db/schema';
import { AppError, notFound } from '../../platform/errors';
import { newId } from '../../platform/ids';
import { canGrant } from '../../platform/tenancy/policy';
import type { CreateApiKeyBody } from './inputs';
import { checkScopes } from './scopes';

/** Our own recognisable prefix, so leaked keys are easy to spot (and to scan for). */
const API_KEY_PREFIX = 'ssk_';
const VISIBLE_CHARS = API_KEY_PREFIX.length + 8;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long before expiry the key's creator is told. */
export const EXPIRY_NOTICE_MS = 7 * DAY_MS;
/** Writing last-used on every request would make each read a write; once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  scopes: string[] | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

function toView(row: typeof apiKeys.$inferSelect): ApiKeyView {
  return { id: row.id, name: row.name, role: row.role, prefix: row.prefix, scopes: row.scopes, createdAt: row.createdAt, expiresAt: row.expiresAt, lastUsedAt: row.lastUsedAt };
}

/** Newest first; with `page`, the rows of that page and one more (platform/pagination.ts). */
function liveKeyRows(db: TenantReads, page?: PageBounds) {
  const query = db.select(apiKeys, isNull(apiKeys.revokedAt), afterKey(page, apiKeys.createdAt, apiKeys.id, 'desc')).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  return page ? query.limit(page.rows) : query;
}

export async function listApiKeys(ctx: TenantContext): Promise<ApiKeyView[]> {
  return (await liveKeyRows(ctx.db)).map(toView);
}

/** GET /api/t/:tenant/api-keys's read (the requested page), batched with who and where (one round trip). */
export const apiKeyListRead = tenantReadWithResolution(liveKeyRows, { paged: true });

export async function listApiKeysOfRequest(c: Context<TenantEnv>): Promise<ApiKeyView[]> {
  return (await apiKeyListRead.result(c)).map(toView);
}

/**
 * Mints a key whose role is no higher than its creator's. The secret is
 * returned once and stored only as a hash. Keys belong to the member who made
 * them and die with that membership; keys cannot mint keys.
 */
export async function createApiKey(ctx: TenantContext, input: CreateApiKeyBody): Promise<{ apiKey: ApiKeyView; secret: string }> {
  if (ctx.actor.type !== 'user') throw new AppError('forbidden', 'API keys cannot create API keys; sign in as a person');
  if (!canGrant(ctx.role, input.role)) throw new AppError('forbidden', `You cannot create a key with the ${input.role} role`);
  const scopes = checkScopes(input.role, input.scopes);
  const secret = `${API_KEY_PREFIX}${randomToken(24)}`;
  const now = Date.now();
  const row = {
    id: newId('key'),
    name: input.name,
    role: input.role,
    prefix: secret.slice(0, VISIBLE_CHARS),
    secretHash: await sha256Hex(secret),
    createdBy: ctx.actor.id,
    createdAt: now,
    scopes,
    expiresAt: now + input.expiresInDays * DAY_MS,
  };
  await ctx.db.batch([
    ctx.db.insert(apiKeys, row),
    auditEntry(ctx, 'api_key.created', { type: 'api_key', id: row.id }, { name: row.name, role: row.role, prefix: row.prefix, scopes, expiresAt: row.expiresAt }),
  ]);
  return { apiKey: toView({ ...row, tenantId: ctx.tenant.id, lastUsedAt: null, revokedAt: null, expiryNoticeAt: null }), secret };
}

export async function revokeApiKey(ctx: TenantContext, id: string): Promise<void> {
  const key = await ctx.db.first(apiKeys, eq(apiKeys.id, id), isNull(apiKeys.revokedAt));
  if (!key) throw notFound('API key');
  // Only owners manage owners: an admin cannot switch off an owner's automation.
  if (!canGrant(ctx.role, key.role)) throw new AppError('forbidden', `Only someone with the ${key.role} role can revoke this key`);
  await ctx.db.batch([
    ctx.db.update(apiKeys, { revokedAt: Date.now() }, eq(apiKeys.id, id)),
    auditEntry(ctx, 'api_key.revoked', { type: 'api_key', id }, { name: key.name, prefix: key.prefix }),
  ]);
}

/**
 * Authenticates `Authorization: Bearer ssk_…`. A key reaches only its own
 * tenant, with its own role; a revoked or unknown key is a 401.
 */
export const apiKeyResolver: CredentialResolver = async (request, token, tenantSlug, companionFor) => {
  if (!token.startsWith(API_KEY_PREFIX)) return undefined;
  const { row: key, companion } = await apiKeyBySecretHash(request.env, await sha256Hex(token), tenantSlug, companionFor?.(undefined));
  if (!key) throw new AppError('unauthenticated', 'API key is invalid or revoked');
  const now = Date.now();
  if (key.expiresAt !== null && key.expiresAt <= now) throw new AppError('unauthenticated', 'API key has expired; create a new one');
  request.waitUntil(noteApiKeyUse(request.env, key.id, now, LAST_USED_RESOLUTION_MS));
  return {
    principal: { type: 'api_key', userId: null, apiKeyId: key.id, tenantId: key.tenantId, role: key.role, createdBy: key.createdBy, scopes: key.scopes },
    membership: key.membership,
    ...companion,
  };
};
