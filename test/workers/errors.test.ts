import { describe, expect, it } from 'vitest';
import { API_BODY_LIMIT_BYTES } from '../../src/platform/compose';
import { countRows } from './db-snapshot';
import { call, expectErrorShape, signUpOwner } from './helpers';

describe('errors speak one shape', () => {
  it('malformed JSON is 400 invalid_json and writes nothing', async () => {
    const { token, tenant } = await signUpOwner();
    const before = await countRows('projects');
    const res = await call('POST', `/api/t/${tenant.slug}/projects`, { token, rawBody: '{"name": "unterminated' });
    expect(res.status).toBe(400);
    expectErrorShape(res.body);
    expect(res.body.error.code).toBe('invalid_json');
    expect(await countRows('projects')).toBe(before);
  });

  it('wrong types are 400 validation_failed with zod details', async () => {
    const { token, tenant } = await signUpOwner();
    const res = await call('POST', `/api/t/${tenant.slug}/projects`, { token, body: { name: 42 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.fieldErrors.name).toEqual([expect.any(String)]);
  });

  it('a body over the limit is 413 and writes nothing', async () => {
    const { token, tenant } = await signUpOwner();
    const before = await countRows('projects');
    const res = await call('POST', `/api/t/${tenant.slug}/projects`, {
      token,
      rawBody: JSON.stringify({ name: 'x'.repeat(API_BODY_LIMIT_BYTES) }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await countRows('projects')).toBe(before);
  });

  it('an unknown route is 404 in the same shape', async () => {
    const res = await call('GET', '/api/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect((await call('GET', '/nothing-here')).body.error.code).toBe('not_found');
  });

  it('a non-JSON content type is refused in the same shape', async () => {
    const { token, tenant } = await signUpOwner();
    const res = await call('POST', `/api/t/${tenant.slug}/projects`, { token, rawBody: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(400);
    expectErrorShape(res.body);
  });

  it('every response carries a request id', async () => {
    const res = await call('GET', '/api/nope');
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
  });
});
