/**
 * The data `npm run bench` measures against, made through the app's real API
 * (sign-up, tenants, checkout paid in the Stripe emulator, invitations
 * accepted), the same in every run:
 *
 * - "Bench Reads": pro, 10 members, 20 projects. The read rows use it and
 *   nothing writes to it, so every round reads the same data.
 * - "Bench Writes": enterprise (set by "sales" in Stripe: unlimited projects,
 *   1,000,000 seats), so project and invitation creation never meet a limit.
 * - "Bench Billing": pro; its seat count changes for the webhook → limits
 *   applied latency.
 *
 * All three belong to one owner, whose token the rows use.
 */
import Stripe from 'stripe';
import { appVar, BENCH_SECRETS } from './workers.ts';

export const MEMBERS = 10;
export const PROJECTS = 20;
const PASSWORD = 'bench-password-123';
const ENTERPRISE_SEATS = 1_000_000;
const BILLING_SEATS = 5;

export interface DataSet {
  ownerId: string;
  token: string;
  reads: string;
  writes: string;
  /** The writes tenant's Stripe customer: the webhook ingest rows send events about it. */
  writesCustomer: Stripe.Customer;
  billing: { slug: string; subscriptionId: string; itemId: string; seats: number };
}

export interface Billing {
  plan: string;
  status: string;
  seats: { used: number; limit: number | null };
  limits: { seats: number | null; projects: number | null };
}

export class ApiClient {
  readonly origin: string;
  constructor(origin: string) {
    this.origin = origin;
  }

  async call<T>(method: 'GET' | 'POST', path: string, options: { token?: string; body?: unknown; status?: number } = {}): Promise<T> {
    const res = await fetch(`${this.origin}${path}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    const expected = options.status ?? 200;
    if (res.status !== expected) throw new Error(`${method} ${path} answered ${res.status}, expected ${expected}: ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Signs up and then in, as a client does: sign-up answers 202 with no session (issue 17 #10). */
  async signUp(body: { email: string; name: string; tenantName?: string }): Promise<{ token: string; user: { id: string } }> {
    await this.call('POST', '/api/auth/signup', { status: 202, body: { ...body, password: PASSWORD } });
    return this.call<{ token: string; user: { id: string } }>('POST', '/api/auth/login', { body: { email: body.email, password: PASSWORD } });
  }

  /** Confirms an address as its owner would: the link in the dev mailbox's newest confirmation email (inviting and buying need it). */
  async verifyEmail(email: string): Promise<void> {
    const res = await fetch(`${this.origin}/dev/mailbox?${new URLSearchParams({ to: email })}`, { headers: { accept: 'application/json' } });
    const { emails } = (await res.json()) as { emails: { subject: string; text: string }[] };
    const token = emails.filter((mail) => mail.subject === 'Confirm your email address').map((mail) => /verify-email\?token=([\w-]+)/.exec(mail.text)?.[1])[0];
    if (!token) throw new Error(`no confirmation email for ${email} in the dev mailbox`);
    await this.call('POST', '/api/auth/verify-email', { status: 204, body: { token } });
  }

  billing(slug: string, token: string): Promise<Billing> {
    return this.call<Billing>('GET', `/api/t/${slug}/billing`, { token });
  }

  /** Polls the tenant's billing until `applied` holds; resolves with Date.now() of the answer that showed it. */
  async waitForBilling(slug: string, token: string, applied: (billing: Billing) => boolean, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last: Billing | undefined;
    while (Date.now() < deadline) {
      last = await this.billing(slug, token);
      if (applied(last)) return Date.now();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`the billing of ${slug} did not change within ${timeoutMs / 1000} s; last: ${JSON.stringify(last)}`);
  }
}

/** The Stripe SDK from Node, pointed at the emulator: what Stripe's dashboard, sales or the portal do. */
export function stripeAt(port: number): Stripe {
  return new Stripe(BENCH_SECRETS.STRIPE_SECRET_KEY, { host: '127.0.0.1', port, protocol: 'http' });
}

interface TenantSummary {
  id: string;
  slug: string;
}

/** Checkout through the app, paid with the emulator's test card; resolves once the webhook made the tenant pro. */
async function buyPro(api: ApiClient, emulatorOrigin: string, stripe: Stripe, slug: string, token: string, seats: number) {
  const { url } = await api.call<{ url: string }>('POST', `/api/t/${slug}/billing/checkout`, { token, body: { plan: 'pro', seats } });
  const sessionId = new URL(url).pathname.split('/').pop() as string;
  const paid = await fetch(`${emulatorOrigin}/_emulator/checkout/${sessionId}/pay`, { method: 'POST' });
  if (!paid.ok) throw new Error(`paying checkout ${sessionId} in the emulator answered ${paid.status}: ${await paid.text()}`);
  await api.waitForBilling(slug, token, (billing) => billing.plan === 'pro' && billing.seats.limit === seats);
  const session = await stripe.checkout.sessions.retrieve(sessionId, { expand: ['subscription'] });
  const subscription = session.subscription as Stripe.Subscription;
  const item = subscription.items.data[0];
  if (!item) throw new Error(`subscription ${subscription.id} has no item`);
  return { subscription, item };
}

/** The reads tenant: pro for its seats, then its members (each signs up and accepts an invitation) and projects. */
async function fillReads(api: ApiClient, emulatorOrigin: string, stripe: Stripe, slug: string, token: string): Promise<void> {
  await buyPro(api, emulatorOrigin, stripe, slug, token, MEMBERS * 2);
  for (let i = 1; i < MEMBERS; i++) {
    const email = `member-${i}@bench.test`;
    const member = await api.signUp({ email, name: `Member ${i}` });
    const { acceptUrl } = await api.call<{ acceptUrl: string }>('POST', `/api/t/${slug}/invitations`, { token, status: 201, body: { email, role: 'member' } });
    const invitationToken = new URL(acceptUrl).pathname.split('/').pop() as string;
    await api.call('POST', `/api/invitations/${invitationToken}/accept`, { token: member.token });
  }
  for (let i = 1; i <= PROJECTS; i++) {
    await api.call('POST', `/api/t/${slug}/projects`, { token, status: 201, body: { name: `Project ${i}` } });
  }
}

/** The writes tenant: pro through checkout, then enterprise as sales arranges it in Stripe (the price, and the seats in metadata). */
async function makeEnterprise(api: ApiClient, emulatorOrigin: string, stripe: Stripe, slug: string, token: string): Promise<Stripe.Customer> {
  const { subscription, item } = await buyPro(api, emulatorOrigin, stripe, slug, token, 1);
  await stripe.subscriptions.update(subscription.id, {
    items: [{ id: item.id, price: appVar('STRIPE_PRICE_ENTERPRISE'), quantity: 1 }],
    metadata: { seats: String(ENTERPRISE_SEATS) },
  });
  await api.waitForBilling(slug, token, (billing) => billing.plan === 'enterprise' && billing.seats.limit === ENTERPRISE_SEATS);
  return (await stripe.customers.retrieve(subscription.customer as string)) as Stripe.Customer;
}

export async function createDataSet(api: ApiClient, emulatorOrigin: string, stripe: Stripe): Promise<DataSet> {
  const owner = await api.signUp({ email: 'owner@bench.test', name: 'Bench Owner', tenantName: 'Bench Reads' });
  const { token } = owner;
  await api.verifyEmail('owner@bench.test');
  const me = await api.call<{ memberships: { tenant: TenantSummary }[] }>('GET', '/api/me', { token });
  const reads = me.memberships[0]?.tenant.slug ?? '';
  const create = async (name: string) => (await api.call<{ tenant: TenantSummary }>('POST', '/api/tenants', { token, status: 201, body: { name } })).tenant.slug;
  const writes = await create('Bench Writes');
  const billing = await create('Bench Billing');

  // The three tenants are independent: each waits on its own webhooks, so they are made side by side.
  const [, writesCustomer, billed] = await Promise.all([
    fillReads(api, emulatorOrigin, stripe, reads, token),
    makeEnterprise(api, emulatorOrigin, stripe, writes, token),
    buyPro(api, emulatorOrigin, stripe, billing, token, BILLING_SEATS),
  ]);
  return {
    ownerId: owner.user.id,
    token,
    reads,
    writes,
    writesCustomer,
    billing: { slug: billing, subscriptionId: billed.subscription.id, itemId: billed.item.id, seats: BILLING_SEATS },
  };
}
