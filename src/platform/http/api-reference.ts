/**
 * GET /api/openapi.json and its rendered reference, /api/docs: HTML made on
 * the server from the document itself, with the pages' stylesheet and no
 * script, so it works offline and under the pages' strict CSP.
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../env';
import { STYLESHEET_PATH } from '../ui/styles';
import type { OpenApiDocument, OpenApiOperation } from './openapi';
import { describe } from './route-doc';

function schemaText(schema: unknown): string {
  return JSON.stringify(schema, null, 2);
}

function operationHtml(method: string, path: string, op: OpenApiOperation) {
  const body = op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined;
  return html`<section class="card" id="${op.operationId}">
    <h3><code>${method.toUpperCase()} ${path}</code></h3>
    ${op.summary ? html`<p>${op.summary}</p>` : ''} ${op.description ? html`<p class="muted">${op.description}</p>` : ''}
    ${op.parameters.length
      ? html`<h4>Parameters</h4>
          <pre>${schemaText(op.parameters)}</pre>`
      : ''}
    ${body ? html`<h4>Request body</h4><pre>${schemaText(body.content?.['application/json']?.schema)}</pre>` : ''}
    <h4>Responses</h4>
    <ul>
      ${Object.entries(op.responses).map(([status, response]) => {
        const ref = typeof response.$ref === 'string' ? response.$ref : undefined;
        const content = (response as { content?: Record<string, { schema?: unknown }> }).content?.['application/json']?.schema;
        return html`<li>
          <strong>${status}</strong> ${ref ? html`<a href="#errors">error</a>` : String(response.description ?? '')}
          ${content ? html`<pre>${schemaText(content)}</pre>` : ''}
        </li>`;
      })}
    </ul>
  </section>`;
}

function referenceHtml(doc: OpenApiDocument) {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method, path, op })));
  const responses = doc.components.responses as Record<string, { description: string }>;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${doc.info.title} reference</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body>
        <main class="container">
          <h1>${doc.info.title} <small class="muted">${doc.info.version}</small></h1>
          <p>${doc.info.description}</p>
          <p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
          <nav aria-label="Operations">
            <ul>
              ${operations.map(({ method, path, op }) => html`<li><a href="#${op.operationId}"><code>${method.toUpperCase()} ${path}</code></a> ${op.summary ?? ''}</li>`)}
            </ul>
          </nav>
          ${operations.map(({ method, path, op }) => operationHtml(method, path, op))}
          <section class="card" id="errors">
            <h2>Errors</h2>
            <ul>
              ${Object.entries(responses).map(([name, r]) => html`<li><strong>${name.slice(1)}</strong> ${r.description}</li>`)}
            </ul>
          </section>
        </main>
      </body>
    </html>`;
}

/** The two routes, given how to get the (lazily built, cached) document. */
export function apiReferenceRoutes(document: () => OpenApiDocument) {
  return new Hono<AppEnv>()
    .get('/openapi.json', describe({ summary: 'This API as an OpenAPI 3.1 document', security: 'none', response: { status: 200, description: 'The OpenAPI 3.1 document' } }), (c) =>
      c.json(document()),
    )
    .get(
      '/docs',
      describe({ summary: 'The rendered reference', security: 'none', response: { status: 200, contentType: 'text/html', description: 'HTML' } }),
      secureHeaders({
        contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'self'"], imgSrc: ["'self'"], formAction: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
        xFrameOptions: 'DENY',
      }),
      (c) => c.html(referenceHtml(document())),
    );
}
