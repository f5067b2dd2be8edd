/**
 * The steady workload: several tenants, each driven by its owner through the
 * public API in a loop (sign-ins, reads, projects, invitations and their
 * acceptance by newly signed-up users, checkouts paid on the emulator, seat
 * changes), while the emulator pushes the resulting webhooks. Every answer is
 * recorded; each tenant also probes the others' data, and any answer that
 * shows another tenant's data is recorded as a cross-tenant read.
 */
import { call, type Answer, type Controls } from './client.ts';

export type Outcome = 'good' | 'refused' | 'failed';

export interface OpRecord {
  at: number;
  kind: string;
  tenant: string;
  status: number;
  outcome: Outcome;
  ms: number;
  code?: string;
}

export interface Account {
  email: string;
  password: string;
  token: string;
  userId: string;
}

export interface TenantActor {
  label: string;
  id: string;
  slug: string;
  owner: Account;
  /** Projects the workload knows it created and has not deleted. */
  projects: string[];
  /** Invitations created and not yet accepted: who, and the token from the accept link. */
  pending: { id: string; email: string; token: string }[];
  lastLogin: number;
  /** From the last billing read. */
  plan: string;
  seats: { used: number; limit: number | null };
  projectLimit: number | null;
  step: number;
  invited: number;
}

const PASSWORD = 'chaos-password-123';
/** 10 sign-ins a minute per address is the app's limit; the workload stays well under it. */
const LOGIN_EVERY_MS = 15_000;
const STEPS = ['read', 'project', 'invite', 'probe', 'accept', 'read', 'billing', 'project', 'login'] as const;

function tokenOf(acceptUrl: unknown): string {
  const token = typeof acceptUrl === 'string' ? acceptUrl.split('/invitations/')[1] : undefined;
  if (!token) throw new Error(`no token in accept URL ${String(acceptUrl)}`);
  return token;
}

export class Workload {
  readonly records: OpRecord[] = [];
  readonly crossTenantReads: string[] = [];
  readonly tenants: TenantActor[] = [];
  private running = false;
  private paused = false;
  private loops: Promise<void>[] = [];
  /** Tenants of the steady loops; the experiments' lab tenants are driven by the experiments. */
  private looping: TenantActor[] = [];
  private idle = new Set<string>();

  private readonly appUrl: string;
  private readonly controls: Controls;
  /** Makes this run's addresses and tenant names unique. */
  private readonly runId: string;
  private readonly pauseMs: number;

  constructor(appUrl: string, controls: Controls, runId: string, pauseMs = 150) {
    this.appUrl = appUrl;
    this.controls = controls;
    this.runId = runId;
    this.pauseMs = pauseMs;
  }

  private record(kind: string, tenant: string, answer: Answer, refusals: number[] = []): Outcome {
    const outcome: Outcome = answer.status >= 200 && answer.status < 300 ? 'good' : refusals.includes(answer.status) ? 'refused' : 'failed';
    const error = answer.body.error as { code?: string } | undefined;
    this.records.push({ at: Date.now(), kind, tenant, status: answer.status, outcome, ms: answer.ms, code: error?.code ?? answer.error });
    return outcome;
  }

  api(method: string, path: string, token?: string, json?: unknown): Promise<Answer> {
    return call(this.appUrl, method, path, { token, json });
  }

  /** Confirms an owner's address through the dev mailbox, as the owner would: inviting and buying need it. */
  private async verifyEmail(email: string): Promise<void> {
    const res = await fetch(`${this.appUrl}/dev/mailbox?${new URLSearchParams({ to: email })}`, { headers: { accept: 'application/json' } });
    const { emails } = (await res.json()) as { emails: { subject: string; text: string }[] };
    const token = emails.filter((mail) => mail.subject === 'Confirm your email address').map((mail) => /verify-email\?token=([\w-]+)/.exec(mail.text)?.[1])[0];
    const answer = token ? await this.api('POST', '/api/auth/verify-email', undefined, { token }) : undefined;
    if (answer?.status !== 204) throw new Error(`confirming ${email} failed: ${answer ? answer.status : 'no confirmation email'}`);
  }

  /** Signs up an owner with a new tenant; retried, because the run may begin under no fault but a slow start. */
  async createTenant(label: string): Promise<TenantActor> {
    const email = `owner.${label}.${this.runId}@chaos.test`;
    // Sign-up answers 202 with no session (issue 17 #10): then the address is confirmed, and the owner signs in.
    const answer = await this.api('POST', '/api/auth/signup', undefined, { email, password: PASSWORD, name: `Owner ${label}`, tenantName: `Chaos ${label} ${this.runId}` });
    if (answer.status !== 202) throw new Error(`sign-up of ${label} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    await this.verifyEmail(email);
    const login = await this.api('POST', '/api/auth/login', undefined, { email, password: PASSWORD });
    if (login.status !== 200) throw new Error(`sign-in of ${label} failed: ${login.status} ${JSON.stringify(login.body)}`);
    const { user, token } = login.body as { user: { id: string }; token: string };
    const me = await this.api('GET', '/api/me', token);
    const tenant = (me.body.memberships as { tenant: { id: string; slug: string } }[] | undefined)?.[0]?.tenant;
    if (!tenant) throw new Error(`sign-up of ${label} made no tenant: ${JSON.stringify(me.body)}`);
    const actor: TenantActor = {
      label,
      id: tenant.id,
      slug: tenant.slug,
      owner: { email, password: PASSWORD, token, userId: user.id },
      projects: [],
      pending: [],
      lastLogin: Date.now(),
      plan: 'free',
      seats: { used: 1, limit: 3 },
      projectLimit: 3,
      step: 0,
      invited: 0,
    };
    this.tenants.push(actor);
    return actor;
  }

  // ---------------------------------------------------------------- operations

  async login(t: TenantActor): Promise<void> {
    const answer = await this.api('POST', '/api/auth/login', undefined, { email: t.owner.email, password: t.owner.password });
    if (this.record('login', t.label, answer, [429]) === 'good') t.owner.token = answer.body.token as string;
    t.lastLogin = Date.now();
  }

  async read(t: TenantActor): Promise<void> {
    const token = t.owner.token;
    this.record('read', t.label, await this.api('GET', '/api/me', token));
    const projects = await this.api('GET', `/api/t/${t.slug}/projects`, token);
    if (this.record('read', t.label, projects) === 'good') {
      const foreign = new Map(this.tenants.filter((o) => o !== t).flatMap((o) => o.projects.map((id) => [id, o.label] as const)));
      for (const { id } of projects.body.projects as { id: string }[]) {
        if (foreign.has(id)) this.crossTenantReads.push(`${t.label} listed project ${id} of ${foreign.get(id)}`);
      }
    }
    const billing = await this.api('GET', `/api/t/${t.slug}/billing`, token);
    if (this.record('read', t.label, billing) === 'good') {
      const body = billing.body as { plan: string; seats: { used: number; limit: number | null }; limits: { projects: number | null } };
      t.plan = body.plan;
      t.seats = body.seats;
      t.projectLimit = body.limits.projects;
    }
  }

  /** Reads of other tenants' data with this tenant's credentials: every one must be a 404. */
  async probe(t: TenantActor): Promise<void> {
    const others = this.tenants.filter((o) => o !== t);
    const other = others[t.step % Math.max(1, others.length)];
    if (!other) return;
    const paths = [`/api/t/${other.slug}/projects`, `/api/t/${other.slug}/billing`, `/api/t/${other.slug}/members`];
    const theirProject = other.projects[0];
    if (theirProject) paths.push(`/api/t/${t.slug}/projects/${theirProject}`);
    for (const path of paths) {
      const answer = await this.api('GET', path, t.owner.token);
      this.record('probe', t.label, answer, [404]);
      if (answer.status >= 200 && answer.status < 300) this.crossTenantReads.push(`${t.label} read ${path} (${other.label}'s): ${answer.status}`);
    }
  }

  async project(t: TenantActor): Promise<void> {
    if (t.projectLimit !== null && t.projects.length >= t.projectLimit) {
      const id = t.projects.shift();
      if (id) this.record('project', t.label, await this.api('DELETE', `/api/t/${t.slug}/projects/${id}`, t.owner.token), [404]);
      return;
    }
    const answer = await this.api('POST', `/api/t/${t.slug}/projects`, t.owner.token, { name: `p${t.step}` });
    if (this.record('project', t.label, answer, [402]) === 'good') t.projects.push((answer.body.project as { id: string }).id);
  }

  async invite(t: TenantActor): Promise<void> {
    const email = `m${++t.invited}.${t.label}.${this.runId}@chaos.test`;
    const answer = await this.api('POST', `/api/t/${t.slug}/invitations`, t.owner.token, { email, role: 'member' });
    if (this.record('invite', t.label, answer, [402]) === 'good') {
      t.pending.push({ id: (answer.body.invitation as { id: string }).id, email, token: tokenOf(answer.body.acceptUrl) });
    }
  }

  async accept(t: TenantActor): Promise<void> {
    const invitation = t.pending[0];
    if (!invitation) return this.invite(t);
    // Signed up before (a retried accept) or not, sign-up answers 202; the sign-in that follows gives the session.
    const signup = await this.api('POST', '/api/auth/signup', undefined, { email: invitation.email, password: PASSWORD, name: 'Invited member' });
    if (this.record('accept', t.label, signup, [429]) !== 'good') return;
    const login = await this.api('POST', '/api/auth/login', undefined, { email: invitation.email, password: PASSWORD });
    if (this.record('accept', t.label, login, [429]) !== 'good') return;
    const answer = await this.api('POST', `/api/invitations/${invitation.token}/accept`, login.body.token as string);
    const outcome = this.record('accept', t.label, answer, [402, 409]);
    if (outcome === 'good' || answer.status === 409) t.pending.shift();
  }

  /** Buys seats when the tenant is full: a checkout paid on the emulator when free, more seats when pro; sometimes fewer. */
  async billing(t: TenantActor): Promise<void> {
    const { used, limit } = t.seats;
    if (t.plan === 'free') {
      if (limit !== null && used < limit) return;
      const answer = await this.api('POST', `/api/t/${t.slug}/billing/checkout`, t.owner.token, { plan: 'pro', seats: used + 3 });
      if (this.record('checkout', t.label, answer, [409]) !== 'good') return;
      const sessionId = /\/checkout\/(cs_\w+)/.exec(String(answer.body.url))?.[1];
      if (!sessionId) throw new Error(`checkout URL without a session: ${String(answer.body.url)}`);
      await this.controls.payCheckout(sessionId).catch(() => undefined);
      return;
    }
    if (limit === null) return;
    // Mostly more seats when full; every fourth time, drop to exactly what is used (applies at once).
    const quantity = used >= limit ? limit + 2 : t.step % 4 === 0 && used < limit ? used : null;
    if (quantity === null) return;
    this.record('seats', t.label, await this.api('POST', `/api/t/${t.slug}/billing/seats`, t.owner.token, { quantity }), [409]);
  }

  async step(t: TenantActor): Promise<void> {
    const kind = STEPS[t.step++ % STEPS.length];
    switch (kind) {
      case 'read':
        return this.read(t);
      case 'project':
        return this.project(t);
      case 'invite':
        return t.pending.length < 2 ? this.invite(t) : this.accept(t);
      case 'probe':
        return this.probe(t);
      case 'accept':
        return this.accept(t);
      case 'billing':
        return this.billing(t);
      case 'login':
        if (Date.now() - t.lastLogin >= LOGIN_EVERY_MS) return this.login(t);
        return this.read(t);
      default:
        return undefined;
    }
  }

  // ---------------------------------------------------------------- running

  /** Starts one loop per tenant created so far. */
  start(): void {
    this.running = true;
    this.looping = [...this.tenants];
    this.loops = this.looping.map((t) => this.loop(t));
  }

  private async loop(t: TenantActor): Promise<void> {
    while (this.running) {
      if (this.paused) {
        this.idle.add(t.label);
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      this.idle.delete(t.label);
      try {
        await this.step(t);
      } catch (err) {
        this.records.push({ at: Date.now(), kind: 'harness', tenant: t.label, status: 0, outcome: 'failed', ms: 0, code: String(err) });
      }
      await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
  }

  /** Stops issuing requests and waits for the ones in flight: the invariants are read on a quiet system. */
  async pause(): Promise<void> {
    this.paused = true;
    while (this.running && this.idle.size < this.looping.length) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  since(from: number, to = Date.now()): OpRecord[] {
    return this.records.filter((r) => r.at >= from && r.at <= to);
  }
}

export interface OpStats {
  ops: number;
  good: number;
  refused: number;
  failed: number;
  /** Good plus correctly refused (402, 409, 404 where expected), as a share of all. */
  availability: number;
  p50Ms: number;
  p95Ms: number;
  failures: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}

export function statsOf(records: readonly OpRecord[]): OpStats {
  const ms = records.map((r) => r.ms).sort((a, b) => a - b);
  const failures: Record<string, number> = {};
  for (const r of records) {
    if (r.outcome !== 'failed') continue;
    const key = `${r.kind} ${r.status}${r.code ? ` ${r.code.slice(0, 60)}` : ''}`;
    failures[key] = (failures[key] ?? 0) + 1;
  }
  const good = records.filter((r) => r.outcome === 'good').length;
  const refused = records.filter((r) => r.outcome === 'refused').length;
  return {
    ops: records.length,
    good,
    refused,
    failed: records.length - good - refused,
    availability: records.length === 0 ? 1 : (good + refused) / records.length,
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
    failures,
  };
}
