/**
 * Every response a workers test receives through `call()` is checked against
 * the app's own OpenAPI document: the status must be one the operation
 * documents, and the body must match that status's schema. So the document
 * cannot drift from what the routes really answer.
 */
import { Validator } from '@cfworker/json-schema';
import { exports } from 'cloudflare:workers';
import type { OpenApiDocument } from '../../src/platform/http/openapi';

type Json = Record<string, unknown>;

let documentPromise: Promise<OpenApiDocument> | undefined;
export function apiDocument(): Promise<OpenApiDocument> {
  documentPromise ??= exports.default.fetch('https://app.test/api/openapi.json').then((res) => res.json() as Promise<OpenApiDocument>);
  return documentPromise;
}

/** The documented operation a concrete request path is answered by, with its template. */
export function findOperation(doc: OpenApiDocument, method: string, pathname: string) {
  const candidates = Object.keys(doc.paths)
    .filter((template) => new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`).test(pathname))
    // A literal segment beats a parameter (`/projects/export` over `/projects/{id}`).
    .sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  for (const template of candidates) {
    const operation = doc.paths[template]?.[method.toLowerCase()];
    if (operation) return { template, operation };
  }
  return undefined;
}

function resolve(doc: OpenApiDocument, node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const [, , section, name] = ref.split('/');
  return (doc.components[section as string] as Record<string, Json>)[name as string] as Json;
}

/** Inlines `#/components/...` references so the validator sees one self-contained schema. */
function inline(doc: OpenApiDocument, schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inline(doc, s));
  if (!schema || typeof schema !== 'object') return schema;
  const resolved = resolve(doc, schema as Json);
  return Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, inline(doc, v)]));
}

/** Throws when the answer is not what the document says this operation answers. */
export async function checkAgainstDocument(method: string, url: string, status: number, contentType: string | null, body: unknown): Promise<void> {
  const pathname = new URL(url, 'https://app.test').pathname;
  // Pages answer HTML and are not part of the API document.
  if (contentType?.startsWith('text/html') && !pathname.startsWith('/api/')) return;
  const doc = await apiDocument();
  const found = findOperation(doc, method, pathname);
  if (!found) {
    // Unknown routes answer the 404 error shape, and nothing else.
    if (status !== 404) throw new Error(`${method} ${pathname} answered ${status} but is not in the OpenAPI document`);
    return;
  }
  const response = found.operation.responses[String(status)];
  if (!response) throw new Error(`${method} ${found.template} answered ${status}, which its OpenAPI operation does not document (${Object.keys(found.operation.responses).join(', ')})`);
  const schema = (resolve(doc, response) as { content?: Record<string, { schema?: unknown }> }).content?.['application/json']?.schema;
  if (!schema || !contentType?.startsWith('application/json')) return;
  const result = new Validator(inline(doc, schema) as Json, '2020-12', false).validate(body);
  if (!result.valid) {
    throw new Error(`${method} ${found.template} ${status}: body does not match the OpenAPI schema: ${JSON.stringify(result.errors.slice(0, 3))}\n${JSON.stringify(body).slice(0, 500)}`);
  }
}
