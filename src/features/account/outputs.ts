import { z } from 'zod';
import { timestampOut } from '../../platform/http/outputs';

/** 202 answers whose work (an email) happens after the response. */
export const sentResponse = z.object({ status: z.literal('sent') });
export const verificationSentResponse = z.object({ status: z.literal('verification_sent') });
export const sessionListResponse = z.object({
  sessions: z.array(
    z.object({ id: z.string(), current: z.boolean(), createdAt: timestampOut, lastSeenAt: timestampOut.nullable(), userAgent: z.string().nullable(), country: z.string().nullable() }),
  ),
});
export const mfaSetupResponse = z.object({ secret: z.string(), otpauthUrl: z.string() });
export const recoveryCodesResponse = z.object({ recoveryCodes: z.array(z.string()) });
export const securityLogResponse = z.object({
  entries: z.array(
    z.object({ id: z.number().int(), event: z.string(), at: timestampOut, ip: z.string().nullable(), userAgent: z.string().nullable(), metadata: z.unknown(), requestId: z.string().nullable() }),
  ),
  nextCursor: z.number().int().nullable(),
});
