/**
 * The OpenAPI 3.1 document, read off the app's route table: each operation
 * is what its middleware declares (platform/http/route-doc.ts), schemas are
 * the zod schemas the routes validate with, converted by zod 4's own
 * `z.toJSONSchema` (JSON Schema 2020-12, OpenAPI 3.1's dialect). Why no
 * library: docs/decisions/0020-openapi-from-the-route-table.md.
 */
import { z } from 'zod';
import { docOf, type RouteDoc } from './route-doc';

export interface RouteEntry {
  method: string;
  path: string;
  handler: unknown;
}

type JsonSchema = Record<string, unknown>;

export interface OpenApiOperation {
  summary?: string;
  description?: string;
  operationId: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters: JsonSchema[];
  requestBody?: JsonSchema;
  responses: Record<string, JsonSchema>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: Record<string, Record<string, unknown>>;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`validation_failed`, `invalid_json`, `bad_request`); zod details in `error.details`',
  401: 'Not signed in, or the credential is invalid, revoked or expired (`unauthenticated`)',
  402: 'Plan limit reached (`plan_limit`)',
  403: 'Signed in but not allowed (`forbidden`), including a key whose scopes do not cover the route',
  404: 'Unknown, or not yours (`not_found`)',
  409: 'Conflict (`conflict`), including a request whose Idempotency-Key is still being answered',
  413: 'Body too large (`payload_too_large`)',
  422: 'Idempotency-Key reused with a different body (`idempotency_mismatch`)',
  429: 'Rate limited (`rate_limited`); `Retry-After` says when to try again',
  503: 'A dependency is unavailable (`unavailable`)',
};

const PAGINATION = `Every list endpoint takes \`cursor\` (opaque, from the previous page's \`nextCursor\`) and \`limit\`, and answers \`nextCursor\`: a string to pass as \`cursor\` for the next page, or null on the last page.`;

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return json;
}

/** `/api/t/:tenant/projects/:id` → `/api/t/{tenant}/projects/{id}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
const pathParams = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);

/** Whether middleware mounted at `pattern` (`/api/*`, `/api/t/:tenant`) runs for a route at `path`. */
function covers(pattern: string, path: string): boolean {
  if (pattern === '*' || pattern === '/*') return true;
  const regex = pattern
    .split('/')
    .map((segment) => (segment === '*' ? '.*' : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${regex.replace(/\/\.\*$/, '(/.*)?')}$`).test(path);
}

/** Each route's pieces of documentation, the platform's middleware first (the check order). */
export function routeDocs(routes: readonly RouteEntry[]): { method: string; path: string; docs: RouteDoc[] }[] {
  const middleware = routes.filter((r) => r.method === 'ALL');
  const byKey = new Map<string, { method: string; path: string; docs: RouteDoc[] }>();
  for (const route of routes) {
    if (route.method === 'ALL') continue;
    const key = `${route.method} ${route.path}`;
    let entry = byKey.get(key);
    if (!entry) {
      const inherited = middleware.filter((m) => covers(m.path, route.path)).flatMap((m) => docOf(m.handler) ?? []);
      entry = { method: route.method, path: route.path, docs: inherited.filter((d) => !d.methods || d.methods.includes(route.method)) };
      byKey.set(key, entry);
    }
    const doc = docOf(route.handler);
    if (doc) entry.docs.push(doc);
  }
  return [...byKey.values()];
}

function parameters(path: string, docs: readonly RouteDoc[]): JsonSchema[] {
  const params: JsonSchema[] = [];
  const objectProperties = (target: 'param' | 'query') => {
    const schema = docs.find((d) => d.request?.target === target)?.request?.schema;
    if (!schema) return { properties: {} as Record<string, JsonSchema>, required: [] as string[] };
    const json = toJsonSchema(schema, 'input');
    return { properties: (json.properties ?? {}) as Record<string, JsonSchema>, required: (json.required ?? []) as string[] };
  };
  const pathSchemas = objectProperties('param');
  for (const name of pathParams(path)) {
    params.push({ name, in: 'path', required: true, schema: pathSchemas.properties[name] ?? { type: 'string' } });
  }
  const query = objectProperties('query');
  for (const [name, schema] of Object.entries(query.properties)) {
    if (name === 'cursor' || name === 'limit') params.push({ $ref: `#/components/parameters/${name === 'cursor' ? 'Cursor' : 'Limit'}` });
    else params.push({ name, in: 'query', required: query.required.includes(name), schema });
  }
  for (const header of docs.flatMap((d) => d.requestHeaders ?? [])) {
    params.push({ name: header.name, in: 'header', required: header.required ?? false, description: header.description, schema: { type: 'string' } });
  }
  return params;
}

function responses(docs: readonly RouteDoc[]): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  const headers = Object.fromEntries(docs.flatMap((d) => d.responseHeaders ?? []).map((name) => [name, { $ref: `#/components/headers/${name}` }]));
  const success = docs.find((d) => d.response)?.response;
  if (success) {
    const content = success.contentType
      ? { [success.contentType]: { schema: { type: 'string' } } }
      : success.schema
        ? { 'application/json': { schema: toJsonSchema(success.schema, 'output') } }
        : undefined;
    out[String(success.status)] = { description: success.description ?? 'Success', headers, ...(content ? { content } : {}) };
  }
  const statuses = [...new Set(docs.flatMap((d) => d.errors ?? []))].sort((a, b) => a - b);
  for (const status of statuses) out[String(status)] = { $ref: `#/components/responses/E${status}` };
  return out;
}

function security(path: string, docs: readonly RouteDoc[]): Record<string, string[]>[] {
  const declared = [...docs].reverse().find((d) => d.security)?.security;
  if (declared === 'none') return [];
  if (declared === 'operator') return [{ opsToken: [] }];
  if (declared === 'user') return [{ session: [] }, { sessionCookie: [] }];
  return path.startsWith('/api/') ? [{ session: [] }, { sessionCookie: [] }, { apiKey: [] }] : [];
}

function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s && s !== 'api')
    .map((s) => (s.startsWith(':') ? `by-${s.slice(1)}` : s));
  return [method.toLowerCase(), ...words].join('-').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

function operation(method: string, path: string, docs: readonly RouteDoc[]): OpenApiOperation {
  const described = docs.find((d) => d.summary);
  const body = docs.find((d) => d.request?.target === 'json')?.request?.schema;
  const segments = path.split('/').filter(Boolean);
  const tag = segments[0] === 'api' ? (segments[1] === 't' ? (segments[3] ?? 'tenants') : (segments[1] ?? 'api')) : (segments[0] ?? 'root');
  return {
    operationId: operationId(method, path),
    ...(described?.summary ? { summary: described.summary } : {}),
    ...(described?.description ? { description: described.description } : {}),
    tags: [tag.startsWith(':') ? 'tenants' : tag],
    security: security(path, docs),
    parameters: parameters(path, docs),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: toJsonSchema(body, 'input') } } } } : {}),
    responses: responses(docs),
  };
}

export function openApiDocument(routes: readonly RouteEntry[], info: { version: string }): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const { method, path, docs } of routeDocs(routes)) {
    (paths[openApiPath(path)] ??= {})[method.toLowerCase()] = operation(method, path, docs);
  }
  const errorStatuses = Object.keys(ERROR_DESCRIPTIONS).map(Number);
  return {
    openapi: '3.1.0',
    info: {
      title: 'saas-slice API',
      version: info.version,
      description: `Errors are always \`{"error":{"code","message","details?"}}\`. Checks run in this order: signed in (401) → member of the tenant (404) → permission (403) → input (400) → plan limit (402) → conflict (409). ${PAGINATION} Creating POSTs accept \`Idempotency-Key\`. Every /api response carries \`RateLimit-Policy\` and \`RateLimit\`.`,
    },
    paths,
    components: {
      securitySchemes: {
        session: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A session token from /api/auth/signup or /api/auth/login' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'sid' },
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key, `ssk_…`: one tenant, its role and scopes, until it expires' },
        opsToken: { type: 'http', scheme: 'bearer', description: 'Operators: `OPS_TOKEN`' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
            },
          },
        },
      },
      responses: Object.fromEntries(
        errorStatuses.map((status) => [
          `E${status}`,
          {
            description: ERROR_DESCRIPTIONS[status],
            ...(status === 429 ? { headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } } : {}),
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        ]),
      ),
      parameters: {
        Cursor: { name: 'cursor', in: 'query', required: false, description: PAGINATION, schema: { type: 'string', maxLength: 200 } },
        Limit: { name: 'limit', in: 'query', required: false, description: 'Page size, 1 to 100 (default 50)', schema: { type: 'integer', minimum: 1, maximum: 100 } },
      },
      headers: {
        'Retry-After': { description: 'Seconds until the limit resets', schema: { type: 'integer' } },
        'RateLimit-Policy': { description: 'IETF draft-ietf-httpapi-ratelimit-headers: the quotas, `"key";q=600;w=60, "tenant";q=1200;w=60`', schema: { type: 'string' } },
        RateLimit: { description: 'IETF draft: what is left of each quota, `"key";r=599;t=42`', schema: { type: 'string' } },
        'Idempotent-Replayed': { description: '`true` when the answer is the stored first answer to this Idempotency-Key', schema: { type: 'string' } },
      },
    },
  };
}
