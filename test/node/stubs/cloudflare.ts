/**
 * Just enough of workerd's `cloudflare:*` modules for Node to import the app
 * and read its route table (test/node/openapi-document.test.ts); nothing here
 * runs a request.
 */
export class DurableObject {}
export class EmailMessage {}
