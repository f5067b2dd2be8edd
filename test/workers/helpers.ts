/**
 * Black-box helpers: every call goes through the Worker's real `fetch`
 * (workerd, local D1), exactly as an API client's would.
 */
import { exports } from 'cloudflare:workers';
import { registerSecretsIn } from './log-capture';

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
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await exports.default.fetch(`${ORIGIN}${path}`, { method, headers, body });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  registerSecretsIn(parsed);
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}@example.test`;
}

export interface SignedUp {
  token: string;
  user: { id: string; email: string; name: string };
  tenant: { id: string; slug: string; name: string };
}

/** A new user who owns a new tenant. */
export async function signUpOwner(tenantName = 'Acme'): Promise<SignedUp> {
  const res = await call('POST', '/api/auth/signup', {
    body: { email: uniqueEmail('owner'), password: PASSWORD, name: 'Owner', tenantName },
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A new user with no tenant (as someone invited would be). */
export async function signUpUser(label = 'user'): Promise<Omit<SignedUp, 'tenant'>> {
  const res = await call('POST', '/api/auth/signup', {
    body: { email: uniqueEmail(label), password: PASSWORD, name: label },
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
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
  const signup = await call('POST', '/api/auth/signup', { body: { email, password: PASSWORD, name: label } });
  if (signup.status !== 201) throw new Error(`signup failed: ${signup.status} ${JSON.stringify(signup.body)}`);
  const accepted = await call('POST', `/api/invitations/${tokenOf(invite.body.acceptUrl)}/accept`, { token: signup.body.token });
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return signup.body;
}

/** The contract: acceptUrl's last path segment is the token. */
export function tokenOf(acceptUrl: string): string {
  return new URL(acceptUrl).pathname.split('/').at(-1) ?? '';
}
