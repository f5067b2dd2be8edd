/**
 * Black-box helpers: every call goes through the Worker's real `fetch`
 * (workerd, local D1), exactly as an API client's would.
 */
import { exports } from 'cloudflare:workers';
import { registerSecretsIn } from './log-capture';
import { checkAgainstDocument } from './openapi-contract';

export const ORIGIN = 'https://app.test';
export const PASSWORD = 'correct horse battery staple';

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** A raw body sent as-is (for malformed JSON and size tests). */
  rawBody?: string;
  headers?: Record<string, string>;
}

// The body's shape is the contract under test; tests narrow it by asserting.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON from the wire, checked by the assertions that read it
export async function call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<ApiResult<T>> {
  // Each call its own client address unless a test names one: per-client rate limits stay out of unrelated tests.
  const headers: Record<string, string> = { 'cf-connecting-ip': randomAddress(), ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await exports.default.fetch(`${ORIGIN}${path}`, { method, headers, body });
  const text = await res.text();
  const parsed: unknown = text && res.headers.get('Content-Type')?.startsWith('application/json') ? JSON.parse(text) : text || null;
  registerSecretsIn(parsed);
  await checkAgainstDocument(method, path, res.status, res.headers.get('Content-Type'), parsed);
  return { status: res.status, body: parsed as T, headers: res.headers };
}

function randomAddress(): string {
  const [a = 0, b = 0, c = 0] = crypto.getRandomValues(new Uint8Array(3));
  return `10.${a}.${b}.${c}`;
}

/** The newest email to `to` in the dev mailbox (its JSON answer), as a script following an emailed link would read it. */
export async function latestEmail(to: string, subject: RegExp): Promise<{ id: string; to: string; subject: string; text: string; createdAt: number }> {
  const res = await exports.default.fetch(`${ORIGIN}/dev/mailbox?${new URLSearchParams({ to })}`, { headers: { accept: 'application/json' } });
  const { emails } = (await res.json()) as { emails: { id: string; to: string; subject: string; text: string; createdAt: number }[] };
  const email = emails.find((e) => subject.test(e.subject));
  if (!email) throw new Error(`no email "${subject}" to ${to}: ${JSON.stringify(emails.map((e) => e.subject))}`);
  return email;
}

/** The `token` query parameter of the first link in an email. */
export function linkToken(text: string): string {
  const link = /https?:\/\/\S+/.exec(text)?.[0];
  const token = link && new URL(link).searchParams.get('token');
  if (!token) throw new Error(`no token link in: ${text}`);
  return token;
}

/** Confirms an address through the link the sign-up emailed to it. */
export async function verifyEmailOf(address: string): Promise<void> {
  const email = await latestEmail(address, /^Confirm your email address$/);
  const res = await call('POST', '/api/auth/verify-email', { body: { token: linkToken(email.text) } });
  if (res.status !== 204) throw new Error(`verify failed: ${res.status} ${JSON.stringify(res.body)}`);
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}@example.test`;
}

export interface SignedUp {
  token: string;
  user: { id: string; email: string; name: string };
  tenant: { id: string; slug: string; name: string };
}

/**
 * Signs up as a client does since sign-up stopped answering with a session
 * (issue 17 #10): the 202, the emailed confirmation link (unless
 * `verified: false`), then a sign-in; the tenant from GET /api/me.
 */
export async function signUpAndSignIn(body: { email: string; name: string; tenantName?: string }, verified: boolean) {
  const res = await call('POST', '/api/auth/signup', { body: { ...body, password: PASSWORD } });
  if (res.status !== 202) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  if (verified) await verifyEmailOf(body.email);
  const login = await call('POST', '/api/auth/login', { body: { email: body.email, password: PASSWORD } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return login.body as { token: string; user: SignedUp['user'] };
}

/** A new user who owns a new tenant, their address confirmed (unless `verified: false`). */
export async function signUpOwner(tenantName = 'Acme', { verified = true }: { verified?: boolean } = {}): Promise<SignedUp> {
  const { token, user } = await signUpAndSignIn({ email: uniqueEmail('owner'), name: 'Owner', tenantName }, verified);
  const me = await call<{ memberships: { tenant: SignedUp['tenant'] }[] }>('GET', '/api/me', { token });
  const tenant = me.body.memberships[0]?.tenant;
  if (!tenant) throw new Error(`no tenant after signup: ${JSON.stringify(me.body)}`);
  return { token, user, tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name } };
}

/** A new user with no tenant (as someone invited would be), their address confirmed (unless `verified: false`). */
export async function signUpUser(label = 'user', { verified = true }: { verified?: boolean } = {}): Promise<Omit<SignedUp, 'tenant'>> {
  return signUpAndSignIn({ email: uniqueEmail(label), name: label }, verified);
}

export function expectErrorShape(body: unknown): asserts body is { error: { code: string; message: string } } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') {
    throw new Error(`not the contract's error shape: ${JSON.stringify(body)}`);
  }
}

/** Invites a new user into `owner`'s tenant with `role`, and has them sign up and accept. */
export async function addMember(owner: SignedUp, role: 'owner' | 'admin' | 'member', label: string = role): Promise<Omit<SignedUp, 'tenant'>> {
  const email = uniqueEmail(label);
  const invite = await call('POST', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token, body: { email, role } });
  if (invite.status !== 201) throw new Error(`invite failed: ${invite.status} ${JSON.stringify(invite.body)}`);
  // Accepting proves the address (the invitation was sent there): no confirmation link needed.
  const signedIn = await signUpAndSignIn({ email, name: label }, false);
  const accepted = await call('POST', `/api/invitations/${tokenOf(invite.body.acceptUrl)}/accept`, { token: signedIn.token });
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return signedIn;
}

/** The contract: acceptUrl's last path segment is the token. */
export function tokenOf(acceptUrl: string): string {
  return new URL(acceptUrl).pathname.split('/').at(-1) ?? '';
}

/** Long enough for a test that must stay inside one rate-limit window, with the wait below. */
export const RATE_WINDOW_TEST_TIMEOUT_MS = 45_000;

/**
 * Rate-limit windows are fixed minutes of the wall clock (Miniflare, like the
 * Workers binding): a run of requests that crosses a boundary starts counting
 * again. A test counting to a limit first waits for a fresh minute when less
 * than `budgetMs` of this one is left.
 */
export async function withinOneRateWindow(budgetMs = 20_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < budgetMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
