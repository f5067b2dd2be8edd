import { and, eq, isNull } from 'drizzle-orm';
import { systemContext } from '../../platform/context';
import { apiKeysExpiringBefore } from '../../platform/db/cross-tenant';
import { apiKeys } from '../../platform/db/schema';
import { queueEmail } from '../../platform/email/outbox';
import type { ScheduledJob } from '../../platform/feature';
import { EXPIRY_NOTICE_MS } from './service';

/** Keys per tick; the rest wait for the next (every five minutes). */
const BATCH = 100;

/**
 * A week before a key expires, its creator gets an email (through the
 * outbox, sent by the job after this one). The notice and the mark that it
 * was sent go in one batch, so nobody is told twice.
 */
export const noticeExpiringApiKeys: ScheduledJob<{ noticed: number }> = {
  name: 'api_keys.expiry_notice',
  async run(ctx, now) {
    const keys = await apiKeysExpiringBefore(ctx.env, now, now + EXPIRY_NOTICE_MS, BATCH);
    let noticed = 0;
    for (const key of keys) {
      const tenantCtx = await systemContext(ctx, key.tenantId);
      if (!tenantCtx || key.expiresAt === null) continue;
      const when = new Date(key.expiresAt).toISOString().slice(0, 10);
      await tenantCtx.db.batch([
        tenantCtx.db.update(apiKeys, { expiryNoticeAt: now }, and(eq(apiKeys.id, key.id), isNull(apiKeys.expiryNoticeAt))),
        queueEmail(tenantCtx, {
          to: key.email,
          subject: `Your API key "${key.name}" for ${tenantCtx.tenant.name} expires on ${when}`,
          text: `The API key "${key.name}" (${key.prefix}…) for ${tenantCtx.tenant.name} expires on ${when}. Create a new key on the API keys page and switch your clients to it before then: ${ctx.env.APP_URL}/t/${tenantCtx.tenant.slug}/api-keys`,
        }),
      ]);
      noticed += 1;
    }
    return { noticed };
  },
};
