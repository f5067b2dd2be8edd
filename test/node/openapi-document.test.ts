/**
 * The document served at GET /api/openapi.json, validated as OpenAPI 3.1 by
 * an independent validator (@seriousme/openapi-schema-validator, the
 * specification's own JSON Schemas). It is generated from the same route
 * table the Worker serves; test/workers/openapi.test.ts checks that table
 * route by route, and every workers test checks real answers against it.
 */
import { Validator, type SpecData } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';

/**
 * The app is typed for workerd (tsconfig.json), not Node (tsconfig.node.json):
 * imported by a path the Node typecheck does not follow, and typed here by
 * the little this test uses.
 */
interface AppModule {
  createApp(): { request(path: string, init: RequestInit, env: object): Promise<Response> };
}
const APP_MODULE = '../../src/app.ts';

async function servedDocument(): Promise<unknown> {
  const { createApp } = (await import(APP_MODULE)) as AppModule;
  // The document reads no binding. Every request opens a D1 session (platform/db/d1-session.ts): here one
  // with nothing in it, which would throw had the route sent a statement.
  const unusedSession = { getBookmark: () => null };
  const res = await createApp().request('/api/openapi.json', {}, { DB: { withSession: () => unusedSession } });
  expect(res.status).toBe(200);
  return res.json();
}

// Importing the whole app into Node takes a few seconds on a loaded machine.
describe('the OpenAPI document', { timeout: 30_000 }, () => {
  it('validates as OpenAPI 3.1', async () => {
    const document = await servedDocument();
    const validator = new Validator();
    const result = await validator.validate(document as SpecData);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document).toMatchObject({ openapi: '3.1.0', info: { title: 'saas-slice API' } });
  });

  it('refuses a path parameter that is not required (the check can fail)', async () => {
    const document = (await servedDocument()) as { paths: Record<string, Record<string, { parameters: { in: string; required?: boolean }[] }>> };
    const parameter = document.paths['/api/t/{tenant}/projects/{id}']!.get!.parameters.find((p) => p.in === 'path')!;
    parameter.required = false;
    const result = await new Validator().validate(document as unknown as SpecData);
    expect(result.valid).toBe(false);
  });
});
