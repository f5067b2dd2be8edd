/**
 * Read replicas through D1 sessions (src/platform/db/d1-session.ts): a
 * request with a credential, or a write, starts at the primary whatever
 * bookmark it brings; an anonymous read starts at the client's bookmark;
 * every response that touched D1 hands a bookmark back (header; cookie for pages).
 */
import { describe, expect, it } from 'vitest';
import { makeTeam } from './fixtures';
import { call, ORIGIN, tokenOf } from './helpers';
import { measure } from './round-trips';

const BOOKMARK = /^[0-9a-f]+(-[0-9a-f]+)*$/i;

describe('D1 sessions and bookmarks', () => {
  it('returns a bookmark after a write, and a later read carrying it sees the write', async () => {
    const team = await makeTeam();
    const created = await call('POST', `${team.base}/projects`, { token: team.owner.token, body: { name: 'Fresh' } });
    expect(created.status).toBe(201);
    const bookmark = created.headers.get('X-D1-Bookmark');
    expect(bookmark).toMatch(BOOKMARK);

    const read = await call('GET', `${team.base}/projects`, { token: team.owner.token, headers: { 'X-D1-Bookmark': bookmark ?? '' } });
    expect(read.body.projects.map((p: { name: string }) => p.name)).toContain('Fresh');
    // Bookmarks are ordered: the read's is no older than the write's.
    expect((read.headers.get('X-D1-Bookmark') ?? '') >= (bookmark ?? '')).toBe(true);
  });

  it('starts every request with a credential at the primary, even when it brings a bookmark: who and where is never stale', async () => {
    const team = await makeTeam();
    const written = await call('PATCH', team.base, { token: team.owner.token, body: { name: 'Renamed' } });
    const bookmark = written.headers.get('X-D1-Bookmark') ?? '';
    const cost = await measure(new Request(`${ORIGIN}${team.base}/members`, { headers: { authorization: `Bearer ${team.member.token}`, 'X-D1-Bookmark': bookmark } }));
    expect(cost.status).toBe(200);
    expect(cost.sessions).toEqual(['first-primary']);
  });

  it('starts an anonymous read at the bookmark the client sent, and a write at the primary', async () => {
    const team = await makeTeam();
    const invite = await call('POST', `${team.base}/invitations`, { token: team.owner.token, body: { email: 'someone@example.test', role: 'member' } });
    const bookmark = invite.headers.get('X-D1-Bookmark') ?? '';
    expect(bookmark).toMatch(BOOKMARK);
    const page = `${ORIGIN}/invitations/${tokenOf(invite.body.acceptUrl)}`;

    const read = await measure(new Request(page, { headers: { 'X-D1-Bookmark': bookmark } }));
    expect(read.status).toBe(200);
    expect(read.sessions).toEqual([bookmark]);
    expect(read.response.headers.getSetCookie().some((c) => c.startsWith('d1b='))).toBe(true);

    const fromCookie = await measure(new Request(page, { headers: { cookie: `d1b=${bookmark}` } }));
    expect(fromCookie.sessions).toEqual([bookmark]);

    const signIn = await measure(new Request(`${ORIGIN}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-D1-Bookmark': bookmark }, body: '{}' }));
    expect(signIn.sessions).toEqual(['first-primary']);
  });

  it('ignores a malformed bookmark (a hint, never an error) and starts anywhere', async () => {
    const team = await makeTeam();
    const invite = await call('POST', `${team.base}/invitations`, { token: team.owner.token, body: { email: 'other@example.test', role: 'member' } });
    const read = await measure(new Request(`${ORIGIN}/invitations/${tokenOf(invite.body.acceptUrl)}`, { headers: { 'X-D1-Bookmark': "'; drop table users; --" } }));
    expect(read.status).toBe(200);
    expect(read.sessions).toEqual(['first-unconstrained']);
  });
});
