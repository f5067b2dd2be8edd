/**
 * The seat vocabulary shared by the tenant's Durable Object, its client and
 * the services that reserve seats. A seat is held by an active member or by a
 * pending invitation, named by a holder key.
 */

/** What the object answers with after every call. `null` limits mean unlimited. */
export interface SeatUsage {
  /** Live holders: members plus pending, unexpired invitations. May exceed `limit` after a downgrade. */
  used: number;
  limit: number | null;
  projectsLimit: number | null;
}

/** The answer to a request for a seat: refused (`ok: false`) only when the tenant is full. */
export type SeatResult = { ok: true; usage: SeatUsage } | { ok: false; usage: SeatUsage };

export interface ReserveOptions {
  /** Epoch milliseconds after which the holder stops counting (an invitation's expiry). */
  expiresAt?: number;
}

export interface ReconcileResult {
  /** Live holders before and after the repair. */
  before: number;
  after: number;
  /** Holders D1 has that the object lacked. */
  added: string[];
  /** Holders the object had that D1 does not, older than the grace window. */
  removed: string[];
}

export type MemberSeat = `member:${string}`;
export type InvitationSeat = `invitation:${string}`;
export type SeatHolder = MemberSeat | InvitationSeat;

export function memberSeat(userId: string): MemberSeat {
  return `member:${userId}`;
}

export function invitationSeat(invitationId: string): InvitationSeat {
  return `invitation:${invitationId}`;
}

const HOLDER_PATTERN = /^(member|invitation):\S+$/;

export function isSeatHolder(value: unknown): value is SeatHolder {
  return typeof value === 'string' && HOLDER_PATTERN.test(value);
}
