/**
 * Audit entries as sentences a person reads ("Ada changed Bob from Admin to
 * Member"), for the page and the CSV export. The codes stay in the entry;
 * this is only how it is said.
 */
import { ROLES, type Role } from '../../platform/db/schema';
import type { AuditEntryView } from './service';

export type People = Map<string, { name: string; email: string }>;

const ROLE_WORDS: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

function field(metadata: AuditEntryView['metadata'], key: string): unknown {
  return metadata?.[key];
}

function text(metadata: AuditEntryView['metadata'], key: string): string {
  const value = field(metadata, key);
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '?';
}

function role(metadata: AuditEntryView['metadata'], key: string): string {
  const value = field(metadata, key);
  return ROLES.includes(value as Role) ? ROLE_WORDS[value as Role] : text(metadata, key);
}

function person(people: People, id: string | null | undefined): string {
  if (!id) return 'someone';
  return people.get(id)?.name ?? 'a former user';
}

/** Who did it, as a name. */
export function actorName(entry: AuditEntryView, people: People): string {
  if (entry.actor.type === 'user') return person(people, entry.actor.id);
  if (entry.actor.type === 'api_key') return 'An API key';
  if (entry.actor.type === 'operator') return `Support (${entry.actor.id ?? 'operator'})`;
  // The system acts for Stripe's webhooks and the scheduled jobs.
  return entry.action.startsWith('subscription.') ? 'Stripe' : 'The system';
}

type Subscription = { plan?: string; status?: string; seats?: number | null } | null;

function describeSubscription(value: unknown): string {
  const sub = value as Subscription;
  if (!sub) return 'none';
  return [sub.plan, sub.status, sub.seats ? `${sub.seats} seats` : null].filter(Boolean).join(', ');
}

/** The entry as one sentence, capitalised, without a full stop. */
export function sentence(entry: AuditEntryView, people: People): string {
  const who = actorName(entry, people);
  const m = entry.metadata;
  const target = entry.target?.type === 'user' ? person(people, entry.target.id) : '';
  const said: Record<string, () => string> = {
    'project.created': () => `${who} created project “${text(m, 'name')}”`,
    'project.renamed': () => `${who} renamed project “${text(m, 'from')}” to “${text(m, 'to')}”`,
    'project.deleted': () => `${who} deleted project “${text(m, 'name')}”`,
    'api_key.created': () => `${who} created API key “${text(m, 'name')}” with the ${role(m, 'role')} role`,
    'api_key.revoked': () => `${who} revoked API key “${text(m, 'name')}”`,
    'invitation.created': () => `${who} invited ${text(m, 'email')} as ${role(m, 'role')}`,
    'invitation.resent': () => `${who} sent the invitation to ${text(m, 'email')} again, with a new link`,
    'invitation.revoked': () => `${who} revoked the invitation for ${text(m, 'email')}`,
    'invitation.accepted': () => `${who} accepted the invitation sent to ${text(m, 'email')}`,
    'member.added': () => `${target} joined as ${role(m, 'role')}`,
    'member.role_changed': () => `${who} changed ${target} from ${role(m, 'from')} to ${role(m, 'to')}`,
    'member.removed': () => `${who} removed ${target}`,
    'member.left': () => `${target} left the organisation`,
    'billing.customer_created': () => `${who} set up billing with Stripe`,
    'billing.checkout_started': () => `${who} started checkout for ${text(m, 'seats')} ${text(m, 'plan') === 'pro' ? 'Pro' : text(m, 'plan')} seats`,
    'billing.seats_change_requested': () =>
      `${who} changed seats from ${text(m, 'from')} to ${text(m, 'to')}${field(m, 'appliesNow') === true ? '' : ', to apply once Stripe confirms it'}`,
    'subscription.updated': () => `${who} updated the subscription from ${describeSubscription(field(m, 'from'))} to ${describeSubscription(field(m, 'to'))}`,
    'tenant.created': () => `${who} created the organisation “${text(m, 'name')}”`,
    'tenant.renamed': () => `${who} renamed the organisation from “${text(m, 'from')}” to “${text(m, 'to')}”`,
    'tenant.exported': () => `${who} downloaded an export of the organisation's data`,
  };
  const made = said[entry.action]?.() ?? `${who}: ${entry.action}`;
  return made.charAt(0).toUpperCase() + made.slice(1);
}
