/**
 * Every JSON log line the Worker writes during a test file (the console, as
 * Workers Logs would see it: requests, queue consumers and Durable Objects
 * all run in this isolate), and every credential the file was handed
 * (helpers.ts registers each one it sees in a response). setup.ts checks,
 * after each file, that no credential and no email body reached the logs.
 */
import type { LogLine } from '../../src/platform/log/logger';

const lines: LogLine[] = [];
const raw: string[] = [];
const secrets = new Set<string>();

for (const level of ['log', 'warn', 'error', 'info', 'debug'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    const text = args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
    raw.push(text);
    if (text.startsWith('{')) {
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        // Not one of ours.
      }
    }
    original(...args);
  };
}

/** The structured lines written so far (a copy). */
export function capturedLines(): LogLine[] {
  return [...lines];
}

/** Everything written to the console so far, structured or not. */
export function capturedText(): string {
  return raw.join('\n');
}

/** A credential a test was given: it must never be logged. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 8) secrets.add(value);
}

export function registeredSecrets(): string[] {
  return [...secrets];
}

/** The credentials in a response body: session tokens, API key secrets, invitation and reset links. */
export function registerSecretsIn(body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') {
      if (key === 'token' || key === 'secret') registerSecret(value);
      if (/Url$/.test(key) && /\/(invitations|reset-password|password-reset)\//.test(value)) registerSecret(new URL(value).pathname.split('/').at(-1));
    } else registerSecretsIn(value);
  }
}
