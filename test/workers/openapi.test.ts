/**
 * The OpenAPI document against the app's own route table: every API route is
 * in it, described, with the statuses the contract's check order can give it.
 * (test/workers/helpers.ts checks every response of every workers test
 * against it; test/node/openapi-document.test.ts validates it as OpenAPI 3.1.)
 */
import { describe, expect, it } from 'vitest';
import { createApp, FEATURES } from '../../src/app';
import { call } from './helpers';
import type { OpenApiDocument } from '../../src/platform/http/openapi';

/** Routes the pages answer (HTML): every feature's owned page paths and the organisation pages. */
const PAGE_PATTERNS = [...FEATURES.flatMap((f) => (f.pages ?? []).flatMap((m) => m.owns)), '/t/*', '/assets/*'];

function isPage(path: string): boolean {
  return PAGE_PATTERNS.some((pattern) => (pattern.endsWith('/*') ? path === pattern.slice(0, -2) || path.startsWith(pattern.slice(0, -1)) : path === pattern));
}

const apiRoutes = [...new Set(createApp().routes.filter((r) => r.method !== 'ALL' && !isPage(r.path)).map((r) => `${r.method} ${r.path}`))];

describe('GET /api/openapi.json', () => {
  it('is served as OpenAPI 3.1 with rate-limit headers', async () => {
    const res = await call<OpenApiDocument>('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths).length).toBeGreaterThan(20);
  });

  for (const route of apiRoutes) {
    it(`documents ${route}`, async () => {
      const [method, path] = route.split(' ') as [string, string];
      const { body: doc } = await call<OpenApiDocument>('GET', '/api/openapi.json');
      const operation = doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      expect(operation, `${route} is not in the document`).toBeDefined();
      expect(operation?.summary, `${route} has no describe() in its feature's routes`).toBeTruthy();
      const statuses = Object.keys(operation?.responses ?? {}).map(Number);
      expect(statuses.some((s) => s >= 200 && s < 300), `${route} documents no success response`).toBe(true);
      if (path.startsWith('/api/')) expect(statuses).toContain(401);
      if (path.startsWith('/api/t/:tenant')) expect(statuses).toEqual(expect.arrayContaining([401, 403, 404, 429]));
      if (['POST', 'PATCH', 'PUT'].includes(method) && path.startsWith('/api/')) expect(statuses).toContain(413);
    });
  }

  it('puts pagination in one place and points every list at it', async () => {
    const { body: doc } = await call<OpenApiDocument>('GET', '/api/openapi.json');
    expect(doc.components.parameters).toHaveProperty('Cursor');
    const auditLog = doc.paths['/api/t/{tenant}/audit-log']?.get;
    expect(auditLog?.parameters).toEqual(expect.arrayContaining([{ $ref: '#/components/parameters/Cursor' }, { $ref: '#/components/parameters/Limit' }]));
  });
});

describe('GET /api/docs', () => {
  it('renders the reference as HTML under a strict CSP, with no script', async () => {
    const res = await call<string>('GET', '/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(res.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
    expect(res.body).not.toMatch(/<script/i);
    expect(res.body).toContain('POST /api/t/:tenant/projects'.replace(':tenant', '{tenant}'));
  });
});
