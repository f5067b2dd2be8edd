import type { Context } from 'hono';

/** Who is on the other end, as far as the edge can tell: for rate limits, sessions and the security log. */
export interface ClientInfo {
  /** Cloudflare's `CF-Connecting-IP`; "unknown" where nothing sets it. */
  ip: string;
  userAgent: string | null;
  country: string | null;
}

export function clientInfo(c: Context): ClientInfo {
  const cf = c.req.raw.cf as { country?: unknown } | undefined;
  return {
    ip: c.req.header('CF-Connecting-IP') ?? 'unknown',
    userAgent: c.req.header('User-Agent')?.slice(0, 300) ?? null,
    country: typeof cf?.country === 'string' ? cf.country : null,
  };
}
