/**
 * The document served at GET /api/openapi.json, validated as OpenAPI 3.1 by
 * an independent validator (@seriousme/openapi-schema-validator, the
 * specification's own JSON Schemas). It is generated from the same route
 * table the Worker serves; test/workers/openapi.test.ts checks that table
 * route by route, and every workers test checks real answers against it.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { API_VERSION } from '../../src/platform/compose';

async function servedDocument(): Promise<unknown> {
  const res = await createApp().request('/api/openapi.json');
  expect(res.status).toBe(200);
  return res.json();
}

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.1', async () => {
    const document = await servedDocument();
    const validator = new Validator();
    const result = await validator.validate(document as object);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document).toMatchObject({ openapi: '3.1.0', info: { version: API_VERSION } });
  });

  it('refuses a path parameter that is not required (the check can fail)', async () => {
    const document = (await servedDocument()) as { paths: Record<string, Record<string, { parameters: { in: string; required?: boolean }[] }>> };
    const parameter = document.paths['/api/t/{tenant}/projects/{id}']!.get!.parameters.find((p) => p.in === 'path')!;
    parameter.required = false;
    const result = await new Validator().validate(document as object);
    expect(result.valid).toBe(false);
  });
});
