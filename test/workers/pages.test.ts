/**
 * The pages' security properties over HTTP, through the Worker's real fetch:
 * headers, sign-in redirects, CSRF (token and origin), tenancy (404) and
 * permissions (403). The browser story is in test/e2e.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { Browser } from './browser';
import { addMember, call, ORIGIN, PASSWORD, signUpOwner, signUpUser, uniqueEmail } from './helpers';
import { safeNext } from '../../src/platform/ui/page-session';
import { STYLESHEET_PATH } from '../../src/platform/ui/styles';

async function projectNames(token: string, slug: string): Promise<string[]> {
  const res = await call('GET', `/api/t/${slug}/projects`, { token });
  return res.body.projects.map((p: { name: string }) => p.name);
}

describe('page security headers', () => {
  it('serves pages with a strict CSP and no caching', async () => {
    const res = await new Browser().fetch('/signin');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/form-action 'self'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('script-src');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).not.toMatch(/<script|style=/i);
    expect(html).toContain(`<link rel="stylesheet" href="${STYLESHEET_PATH}"`);
  });

  it('serves the stylesheet from a hashed, immutable URL', async () => {
    const res = await new Browser().fetch(STYLESHEET_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/css');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await new Browser().fetch('/assets/app.00000000.css')).status).toBe(404);
  });

  it('puts secure headers on every answer: token-bearing and per-user JSON, errors, and the assets 404 (issue 17 #12)', async () => {
    const email = uniqueEmail('headers');
    const signup = await call('POST', '/api/auth/signup', { body: { email, password: PASSWORD, name: 'Hedy', tenantName: 'Headers Co' } });
    const login = await call('POST', '/api/auth/login', { body: { email, password: PASSWORD } });
    const me = await call('GET', '/api/me', { token: login.body.token });
    const refused = await call('POST', '/api/auth/login', { body: { email } });
    for (const [label, res] of Object.entries({ signup, login, me, refused })) {
      expect(res.headers.get('cache-control'), label).toBe('no-store');
      expect(res.headers.get('x-content-type-options'), label).toBe('nosniff');
    }
    expect(login.body.token).toBeTruthy();
    expect(login.body.token).toBeTruthy();

    const missing = await new Browser().fetch('/assets/nothing-here.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('text/html');
    expect(missing.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(missing.headers.get('content-security-policy')).toContain("style-src 'self'");
    expect(missing.headers.get('x-frame-options')).toBe('DENY');
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('leaves the JSON API alone', async () => {
    const res = await call('GET', '/healthz');
    // The API's own default policy (nothing loads, nothing frames), not the pages' one.
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    const api = await call('GET', '/api/me');
    expect(api.status).toBe(401);
    expect(api.body.error.code).toBe('unauthenticated');
  });
});

describe('signing in to pages', () => {
  it('sends a signed-out visitor to sign in and back', async () => {
    const owner = await signUpOwner('Redirect Co');
    const browser = new Browser();
    const res = await browser.fetch(`/t/${owner.tenant.slug}/projects`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/signin?next=%2Ft%2F${owner.tenant.slug}%2Fprojects`);

    const token = await browser.token(res.headers.get('location') ?? '');
    const signedIn = await browser.fetch('/signin', { form: { _csrf: token, email: owner.user.email, password: PASSWORD, next: `/t/${owner.tenant.slug}/projects` } });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe(`/t/${owner.tenant.slug}/projects`);
    expect(browser.cookies.has('sid')).toBe(true);
    expect((await browser.fetch(`/t/${owner.tenant.slug}/projects`)).status).toBe(200);
  });

  it('never follows a next that leaves the site', async () => {
    for (const bad of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/api/me', '/signout', '/a\r\nSet-Cookie: x=1', '']) {
      expect(safeNext(bad), bad).toBeUndefined();
    }
    expect(safeNext('/t/acme/billing?checkout=success')).toBe('/t/acme/billing?checkout=success');
  });

  it('never redirects to another host through a path that normalises to // (issue 17 #1)', async () => {
    const owner = await signUpOwner('Phish Co');
    const browser = new Browser();
    const token = await browser.token('/signin');
    for (const bad of ['/.//evil.example/phish', '/..//evil.example/phish', '/%2e//evil.example/phish', '/%2E%2E//evil.example/phish']) {
      expect(safeNext(bad), bad).toBeUndefined();
    }
    const signedIn = await browser.fetch('/signin', { form: { _csrf: token, email: owner.user.email, password: PASSWORD, next: '/.//evil.example/phish' } });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/');
    for (const bad of ['/.//evil.example/phish', '/..//evil.example/phish', '/%2e//evil.example/phish']) {
      const res = await browser.fetch(`/signin?next=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(303);
      expect(res.headers.get('location'), bad).toBe('/');
    }
  });

  it('shows a wrong password after a redirect (PRG), keeping the email and not the password', async () => {
    const owner = await signUpOwner('Typo Co');
    const browser = new Browser();
    const res = await browser.fetch('/signin', { form: { _csrf: await browser.token('/signin'), email: owner.user.email, password: 'wrong password!' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/signin');
    const html = await (await browser.fetch('/signin')).text();
    expect(html).toContain('Email or password is incorrect');
    expect(html).toContain(`value="${owner.user.email}"`);
    expect(html).not.toContain('wrong password!');
  });

  it('treats a stale session cookie as signed out, not as a JSON 401', async () => {
    const browser = new Browser();
    browser.cookies.set('sid', 'not-a-jwt');
    const res = await browser.fetch('/t/anything');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('/signin?next=');
    expect(browser.cookies.has('sid')).toBe(false);
  });
});

describe('CSRF on page forms', () => {
  async function ownerBrowser() {
    const owner = await signUpOwner('Csrf Co');
    const browser = new Browser();
    await browser.signIn(owner.user.email);
    const projects = `/t/${owner.tenant.slug}/projects`;
    return { owner, browser, projects, token: await browser.token(projects) };
  }

  it('accepts a form with its token from this origin', async () => {
    const { owner, browser, projects, token } = await ownerBrowser();
    const res = await browser.fetch(projects, { form: { _csrf: token, name: 'Allowed' } });
    expect(res.status).toBe(303);
    expect(await projectNames(owner.token, owner.tenant.slug)).toEqual(['Allowed']);
  });

  it('refuses a form without its token, and changes nothing', async () => {
    const { owner, browser, projects } = await ownerBrowser();
    const res = await browser.fetch(projects, { form: { name: 'No token' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('did not come from this site');
    expect(await projectNames(owner.token, owner.tenant.slug)).toEqual([]);
  });

  it('refuses a valid token posted from another origin, or with no origin at all', async () => {
    const { owner, browser, projects, token } = await ownerBrowser();
    expect((await browser.fetch(projects, { form: { _csrf: token, name: 'Foreign' }, origin: 'https://evil.example' })).status).toBe(403);
    expect((await browser.fetch(projects, { form: { _csrf: token, name: 'Originless' }, origin: null })).status).toBe(403);
    expect(await projectNames(owner.token, owner.tenant.slug)).toEqual([]);
  });

  it("refuses another session's token", async () => {
    const { owner, browser, projects, token } = await ownerBrowser();
    const other = new Browser();
    await other.signIn(owner.user.email);
    expect((await other.fetch(projects, { form: { _csrf: token, name: 'Stolen token' } })).status).toBe(403);
    expect((await browser.fetch(projects, { form: { _csrf: `${token.slice(0, -2)}AA`, name: 'Forged' } })).status).toBe(403);
    expect(await projectNames(owner.token, owner.tenant.slug)).toEqual([]);
  });

  it('protects the sign-in form too (no login CSRF)', async () => {
    const owner = await signUpOwner('Login Csrf Co');
    const res = await new Browser().fetch('/signin', { form: { email: owner.user.email, password: PASSWORD } });
    expect(res.status).toBe(403);
  });
});

describe('tenancy and permissions on pages', () => {
  it('shows a 404 page to a non-member, the same as for no tenant at all', async () => {
    const owner = await signUpOwner('Private Co');
    const stranger = await signUpOwner('Stranger Co');
    const browser = new Browser();
    await browser.signIn(stranger.user.email);
    const theirs = await browser.fetch(`/t/${owner.tenant.slug}/members`);
    const none = await browser.fetch('/t/no-such-tenant/members');
    expect(theirs.status).toBe(404);
    expect(none.status).toBe(404);
    expect(theirs.headers.get('content-type')).toContain('text/html');
    expect(await theirs.text()).not.toContain('Private Co');
  });

  it('shows a member no member controls, and refuses their crafted post (403, nothing changed)', async () => {
    const owner = await signUpOwner('Roles Co');
    const member = await addMember(owner, 'member');
    const browser = new Browser();
    await browser.signIn(member.user.email);
    const members = `/t/${owner.tenant.slug}/members`;
    const html = await (await browser.fetch(members)).text();
    expect(html).not.toContain('Change role');
    expect(html).not.toContain('Send invitation');
    expect(html).not.toContain('Billing</a>');

    const token = await browser.token(members);
    const res = await browser.fetch(`${members}/${owner.user.id}/role`, { form: { _csrf: token, role: 'member' } });
    expect(res.status).toBe(403);
    const invite = await browser.fetch(`${members}/invitations`, { form: { _csrf: token, email: uniqueEmail('sneaky'), role: 'owner' } });
    expect(invite.status).toBe(403);
    expect((await browser.fetch(`/t/${owner.tenant.slug}/billing`)).status).toBe(403);

    const list = await call('GET', `/api/t/${owner.tenant.slug}/members`, { token: owner.token });
    expect(list.body.members.find((m: { user: { id: string } }) => m.user.id === owner.user.id).role).toBe('owner');
    const invitations = await call('GET', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token });
    expect(invitations.body.invitations).toEqual([]);
  });

  it('offers only the roles the viewer may grant', async () => {
    const owner = await signUpOwner('Grant Co');
    const admin = await addMember(owner, 'admin');
    const browser = new Browser();
    await browser.signIn(admin.user.email);
    const html = await (await browser.fetch(`/t/${owner.tenant.slug}/members`)).text();
    const inviteRoles = /<select id="invite-role"[^>]*>(.*?)<\/select>/s.exec(html)?.[1] ?? '';
    expect(inviteRoles).toContain('value="admin"');
    expect(inviteRoles).toContain('value="member"');
    expect(inviteRoles).not.toContain('value="owner"');
  });
});

describe('forms and errors as pages', () => {
  it('redirects a failed post back to its form (PRG): invalid input next to its field, in words; at the plan limit the form gives way to the upgrade link', async () => {
    const owner = await signUpOwner('Limits Co');
    const browser = new Browser();
    await browser.signIn(owner.user.email);
    const projects = `/t/${owner.tenant.slug}/projects`;
    const token = await browser.token(projects);

    const empty = await browser.fetch(projects, { form: { _csrf: token, name: '   ' } });
    expect(empty.status).toBe(303);
    expect(empty.headers.get('location')).toBe(projects);
    const kept = await (await browser.fetch(projects)).text();
    expect(kept).toMatch(/aria-invalid="true"[^>]*aria-describedby="field-name-error"|id="field-name-error"/);
    expect(kept).toContain('Fill in this field.');
    expect(kept).not.toContain('Invalid input');
    // Shown once: a reload has neither the message nor the kept input.
    expect(await (await browser.fetch(projects)).text()).not.toContain('field-name-error');

    const tooLong = await browser.fetch(projects, { form: { _csrf: token, name: `Long <b>${'x'.repeat(120)}</b>` } });
    expect(tooLong.status).toBe(303);
    expect(await (await browser.fetch(projects)).text()).toContain(`value="Long &lt;b&gt;${'x'.repeat(120)}&lt;/b&gt;"`);

    for (const name of ['One', 'Two', 'Three']) expect((await browser.fetch(projects, { form: { _csrf: token, name } })).status).toBe(303);
    const fourth = await browser.fetch(projects, { form: { _csrf: token, name: 'Fourth <b>project</b>' } });
    expect(fourth.status).toBe(303);
    const html = await (await browser.fetch(projects)).text();
    expect(html).toContain('class="flash flash-error" role="alert"');
    expect(html).toContain('Your plan allows 3 projects');
    expect(html).toContain('3 of 3 projects used');
    expect(html).toContain(`href="/t/${owner.tenant.slug}/billing"`);
    expect(html).not.toContain('Create project');
    expect(await projectNames(owner.token, owner.tenant.slug)).toHaveLength(3);
  });

  it('answers an unknown page under an organisation with an HTML 404', async () => {
    const owner = await signUpOwner('Lost Co');
    const browser = new Browser();
    await browser.signIn(owner.user.email);
    const res = await browser.fetch(`/t/${owner.tenant.slug}/no-such-page`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('text/html');
  });

  it('ignores a forged flash cookie', async () => {
    const browser = new Browser();
    browser.cookies.set('flash', 'eyJraW5kIjoiZXJyb3IiLCJtZXNzYWdlIjoiZm9yZ2VkIn0');
    const res = await browser.fetch('/signin');
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain('forged');
  });
});

describe('every page route', () => {
  const NOT_PAGES = /^\/(api|webhooks|ops|healthz)(\/|$)/;
  const routes = createApp().routes.filter((r) => (r.method === 'GET' || r.method === 'POST') && !NOT_PAGES.test(r.path));
  const filled = (path: string) => path.replace(/:(\w+)/g, 'x');

  it('is behind the page middleware: a form post without a token is refused', async () => {
    const posts = [...new Set(routes.filter((r) => r.method === 'POST').map((r) => r.path))];
    expect(posts.length).toBeGreaterThanOrEqual(15);
    for (const path of posts) {
      const res = await new Browser().fetch(filled(path), { form: { name: 'x' } });
      expect(res.status, path).toBe(403);
    }
  });

  it('is served with the CSP', async () => {
    const gets = [...new Set(routes.filter((r) => r.method === 'GET').map((r) => r.path))];
    for (const path of gets) {
      const res = await new Browser().fetch(filled(path));
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'none'");
    }
  });
});

describe('dev mailbox', () => {
  it('exists in development and test only', async () => {
    expect((await new Browser().fetch('/dev/mailbox')).status).toBe(200);
    const ctx = createExecutionContext();
    const res = await createApp().fetch(new Request(`${ORIGIN}/dev/mailbox`), { ...env, ENVIRONMENT: 'production' }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(404);
  });
});

describe('settings: export and delete', () => {
  it('lets the owner download the export, and delete only after typing the slug', async () => {
    const owner = await signUpOwner('Settings Co');
    const slug = owner.tenant.slug;
    const browser = new Browser();
    await browser.signIn(owner.user.email);

    const html = await (await browser.fetch(`/t/${slug}/settings`)).text();
    expect(html).toContain('Download export');
    expect(html).toContain('Delete organisation');

    const download = await browser.fetch(`/t/${slug}/settings/export`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain(`${slug}-export.json`);
    expect((await download.json()) as { tenant: { slug: string } }).toMatchObject({ tenant: { slug } });

    const csrf = await browser.token(`/t/${slug}/settings`);
    const wrong = await browser.fetch(`/t/${slug}/settings/delete`, { form: { _csrf: csrf, confirm: 'not-the-slug' } });
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe(`/t/${slug}/settings`);
    expect(await (await browser.fetch(`/t/${slug}/settings`)).text()).toContain(`Type ${slug} exactly to confirm`);
    expect((await call('GET', `/api/t/${slug}`, { token: owner.token })).status).toBe(200);

    const deleted = await browser.fetch(`/t/${slug}/settings/delete`, { form: { _csrf: csrf, confirm: slug } });
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get('location')).toBe('/');
    expect((await call('GET', `/api/t/${slug}`, { token: owner.token })).status).toBe(404);
  });

  it('shows an admin neither control and refuses the post', async () => {
    const owner = await signUpOwner('Admin Settings Co');
    const admin = await addMember(owner, 'admin');
    const browser = new Browser();
    await browser.signIn(admin.user.email);
    const slug = owner.tenant.slug;
    const html = await (await browser.fetch(`/t/${slug}/settings`)).text();
    expect(html).not.toContain('Download export');
    expect(html).not.toContain('Delete organisation');
    const csrf = await browser.token(`/t/${slug}/settings`);
    expect((await browser.fetch(`/t/${slug}/settings/delete`, { form: { _csrf: csrf, confirm: slug } })).status).toBe(403);
    expect((await browser.fetch(`/t/${slug}/settings/export`)).status).toBe(403);
    expect((await call('GET', `/api/t/${slug}`, { token: owner.token })).status).toBe(200);
  });
});

describe('the admin pages as a product (issue 18)', () => {
  it('asks before deleting: the GET only shows the question, the POST deletes', async () => {
    const owner = await signUpOwner('Confirm Co');
    const browser = new Browser();
    await browser.signIn(owner.user.email);
    const created = await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token, body: { name: 'Keep me?' } });
    const path = `/t/${owner.tenant.slug}/projects/${created.body.project.id}/delete`;
    const question = await browser.fetch(path);
    expect(question.status).toBe(200);
    const html = await question.text();
    expect(html).toContain('Delete Keep me?');
    expect(html).toContain(`action="${path}"`);
    expect(await projectNames(owner.token, owner.tenant.slug)).toEqual(['Keep me?']);
    const done = await browser.fetch(path, { form: { _csrf: await browser.token(path) } });
    expect(done.status).toBe(303);
    expect(await projectNames(owner.token, owner.tenant.slug)).toEqual([]);
  });

  it("refuses in the product's words: who may do it, and what", async () => {
    const owner = await signUpOwner('Words Co');
    const member = await addMember(owner, 'member');
    const browser = new Browser();
    await browser.signIn(member.user.email);
    const res = await browser.fetch(`/t/${owner.tenant.slug}/settings`);
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('Only owners and admins can rename the organisation.');
    expect(html).not.toContain('tenant:update');
  });

  it('signs up from an invitation with the address filled in and fixed, and joins without a second click', async () => {
    const owner = await signUpOwner('Join Co');
    const email = uniqueEmail('joiner');
    const invite = await call('POST', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token, body: { email, role: 'member' } });
    const next = new URL(invite.body.acceptUrl).pathname;
    const browser = new Browser();
    const signupPath = `/signup?${new URLSearchParams({ next })}`;
    const page = await (await browser.fetch(signupPath)).text();
    expect(page).toMatch(new RegExp(`name="email" type="email" value="${email}"[^>]*readonly`));

    const res = await browser.fetch('/signup', { form: { _csrf: await browser.token(signupPath), next, email, name: 'Joiner', password: PASSWORD } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/t/${owner.tenant.slug}`);
    const members = await call('GET', `/api/t/${owner.tenant.slug}/members`, { token: owner.token });
    expect(members.body.members.map((m: { user: { email: string } }) => m.user.email)).toContain(email);
    // The used link now says so, and where to go.
    expect(await (await browser.fetch(next)).text()).toContain('This invitation has already been used.');
  });

  it('answers the sign-up form alike for a new and a taken address: to sign-in, with the same notice (issue 17 #10)', async () => {
    const { user } = await signUpUser('taken-page');
    const answers = [];
    for (const email of [uniqueEmail('new-page'), user.email]) {
      const browser = new Browser();
      const res = await browser.fetch('/signup', { form: { _csrf: await browser.token('/signup'), email, name: 'Sam', password: PASSWORD, tenantName: 'Sam Co' } });
      expect(res.status).toBe(303);
      expect(browser.cookies.has('sid')).toBe(false);
      const page = await (await browser.fetch(res.headers.get('location') ?? '')).text();
      const notice = /We have emailed [^<]+/.exec(page)?.[0] ?? 'no notice';
      answers.push([res.headers.get('location'), notice.replace(email, '<address>')]);
    }
    expect(answers[0]).toEqual(['/signin', 'We have emailed <address>. Follow the link in it to confirm your address, and sign in here.']);
    expect(answers[1]).toEqual(answers[0]);
  });

  it('tells the holder of an invitation whose address has an account to sign in, and creates nothing', async () => {
    const owner = await signUpOwner('Known Co');
    const { user } = await signUpUser('known-invitee');
    const invite = await call('POST', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token, body: { email: user.email, role: 'member' } });
    const next = new URL(invite.body.acceptUrl).pathname;
    const browser = new Browser();
    const signupPath = `/signup?${new URLSearchParams({ next })}`;
    const res = await browser.fetch('/signup', { form: { _csrf: await browser.token(signupPath), next, email: user.email, name: 'Again', password: PASSWORD } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/signin?${new URLSearchParams({ next })}`);
    expect(browser.cookies.has('sid')).toBe(false);
    expect(await (await browser.fetch(res.headers.get('location') ?? '')).text()).toContain('already has an account: sign in to accept the invitation');
  });

  it('tells someone signed in with another address before offering Accept', async () => {
    const owner = await signUpOwner('Other Co');
    const invite = await call('POST', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token, body: { email: uniqueEmail('invitee'), role: 'member' } });
    const browser = new Browser();
    await browser.signIn(owner.user.email);
    const html = await (await browser.fetch(new URL(invite.body.acceptUrl).pathname)).text();
    expect(html).toContain('data-testid="wrong-account"');
    expect(html).not.toContain('Accept invitation</button>');
  });

  it('exports the filtered audit log as CSV, and refuses a range that ends before it starts', async () => {
    const owner = await signUpOwner('Csv Co');
    await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token, body: { name: 'Ledger, "quoted"' } });
    const browser = new Browser();
    await browser.signIn(owner.user.email);
    const res = await browser.fetch(`/t/${owner.tenant.slug}/audit-log/export.csv?group=project`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('"Owner created project “Ledger, ""quoted""”","project.created","Owner","user"');
    const everything = (await (await browser.fetch(`/t/${owner.tenant.slug}/audit-log/export.csv`)).text()).trim().split('\r\n');
    expect(everything.some((line) => line.includes('"tenant.created"'))).toBe(true);
    expect((await browser.fetch(`/t/${owner.tenant.slug}/audit-log/export.csv?from=2026-02-02&to=2026-02-01`)).status).toBe(400);
    const api = await call('GET', `/api/t/${owner.tenant.slug}/audit-log?group=project`, { token: owner.token });
    expect(api.body.entries.map((e: { action: string }) => e.action)).toEqual(['project.created']);
  });
});
