import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, expect } from 'vitest';
import { capturedText, registeredSecrets } from './log-capture';

// Storage is isolated per test file; migrations are applied once per file.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// No credential a test was handed, and no email body, ever reaches the logs (the whole file's run).
afterAll(async () => {
  const logs = capturedText();
  for (const secret of registeredSecrets()) expect(logs.includes(secret), 'a credential was logged').toBe(false);
  const { results } = await env.DB.prepare('SELECT text FROM outbox_emails').all<{ text: string }>();
  for (const { text } of results) expect(logs.includes(text), 'an email body was logged').toBe(false);
});
