import { describe, expect, it } from 'vitest';
import { call, signUpOwner } from './helpers';

describe('projects', () => {
  it('creates, lists, reads, renames and deletes a project', async () => {
    const { token, tenant } = await signUpOwner();
    const base = `/api/t/${tenant.slug}/projects`;

    const created = await call('POST', base, { token, body: { name: '  Apollo ' } });
    expect(created.status).toBe(201);
    expect(created.body.project).toMatchObject({ id: expect.stringMatching(/^prj_/), name: 'Apollo' });
    const id = created.body.project.id;

    const list = await call('GET', base, { token });
    expect(list.body.projects.map((p: { id: string }) => p.id)).toEqual([id]);

    expect((await call('GET', `${base}/${id}`, { token })).body.project.name).toBe('Apollo');

    const renamed = await call('PATCH', `${base}/${id}`, { token, body: { name: 'Gemini' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.project.name).toBe('Gemini');

    expect((await call('DELETE', `${base}/${id}`, { token })).status).toBe(204);
    expect((await call('GET', `${base}/${id}`, { token })).status).toBe(404);
    expect((await call('DELETE', `${base}/${id}`, { token })).status).toBe(404);
  });

  it('refuses unknown fields and empty names', async () => {
    const { token, tenant } = await signUpOwner();
    const base = `/api/t/${tenant.slug}/projects`;
    const extra = await call('POST', base, { token, body: { name: 'Ok', tenantId: 'ten_other' } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe('validation_failed');
    const empty = await call('POST', base, { token, body: { name: '   ' } });
    expect(empty.status).toBe(400);
    expect((await call('GET', base, { token })).body.projects).toEqual([]);
  });
});
