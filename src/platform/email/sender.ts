import { EmailMessage } from 'cloudflare:email';
import type { Env } from '../env';

export interface OutgoingEmail {
  id: string;
  to: string;
  subject: string;
  text: string;
}

/** Where outbox emails go. One interface, so production and development differ only in configuration. */
export interface EmailSender {
  readonly name: string;
  send(email: OutgoingEmail): Promise<void>;
}

/** The only environments whose mail may stay in the outbox, shown by the dev mailbox page. */
const DEV_MAILBOX_ENVIRONMENTS = new Set(['development', 'test']);

export function usesDevMailbox(environment: string): boolean {
  return DEV_MAILBOX_ENVIRONMENTS.has(environment);
}

/**
 * Development and tests: nothing leaves the machine. The outbox row itself
 * is the delivered mail, and the dev mailbox page (/dev/mailbox) shows it.
 */
export const devMailboxSender: EmailSender = {
  name: 'dev-mailbox',
  async send() {},
};

/**
 * Staging or production without the `send_email` binding or EMAIL_FROM: every
 * send fails, so the outbox keeps the row unsent with the reason in
 * `last_error`, instead of marking mail sent that went nowhere.
 */
function unconfiguredSender(env: Pick<Env, 'EMAIL' | 'EMAIL_FROM' | 'ENVIRONMENT'>): EmailSender {
  const missing = [!env.EMAIL && 'the send_email binding EMAIL', !env.EMAIL_FROM && 'the EMAIL_FROM var'].filter(Boolean).join(' and ');
  return {
    name: 'unconfigured',
    async send() {
      throw new Error(`Email is not configured in ENVIRONMENT "${env.ENVIRONMENT}": add ${missing} (docs/operations/deploy.md). Nothing was sent.`);
    },
  };
}

const CONTROL_CHARACTERS = /\p{Cc}+/gu;
/** 45 bytes of UTF-8 are 60 characters of base64: with `=?UTF-8?B?` and `?=`, 72 of RFC 2047's 75. */
const ENCODED_WORD_BYTES = 45;

/**
 * A header value that cannot break out of its header: control characters
 * (CR and LF above all, which would start a new header) become spaces, and
 * anything not printable ASCII is sent as RFC 2047 encoded words
 * (`=?UTF-8?B?…?=`), one folded line each.
 */
export function encodeHeaderValue(value: string): string {
  const flat = value.replace(CONTROL_CHARACTERS, ' ').trim();
  if (/^[\x20-\x7e]*$/.test(flat)) return flat;
  const encoder = new TextEncoder();
  const words: string[] = [];
  let chunk = '';
  for (const char of flat) {
    if (chunk && encoder.encode(chunk + char).length > ENCODED_WORD_BYTES) {
      words.push(encodedWord(encoder.encode(chunk)));
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(encodedWord(encoder.encode(chunk)));
  return words.join('\r\n ');
}

function encodedWord(bytes: Uint8Array): string {
  return `=?UTF-8?B?${btoa(String.fromCharCode(...bytes))}?=`;
}

/** An address (or Message-ID part) as a header holds it: nothing that could end the line. */
function headerAddress(value: string): string {
  return value.replace(CONTROL_CHARACTERS, '');
}

export interface MimeMessage extends OutgoingEmail {
  from: string;
  date: Date;
}

/** The raw plain-text MIME message handed to the `send_email` binding. Pure, so the header encoding is testable. */
export function buildMimeMessage(message: MimeMessage): string {
  const domain = (message.from.split('@')[1] ?? '').replace(/[^\w.-]/g, '') || 'saas-slice';
  return [
    `From: ${headerAddress(message.from)}`,
    `To: ${headerAddress(message.to)}`,
    `Subject: ${encodeHeaderValue(message.subject)}`,
    `Message-ID: <${message.id.replace(/[^\w.-]/g, '')}@${domain}>`,
    `Date: ${message.date.toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    message.text.replace(/\r\n|\r|\n/g, '\r\n'),
  ].join('\r\n');
}

/** Production: Cloudflare's `send_email` binding, as a plain-text MIME message. */
function cloudflareEmailSender(binding: SendEmail, from: string): EmailSender {
  return {
    name: 'cloudflare-send-email',
    async send(email) {
      await binding.send(new EmailMessage(from, email.to, buildMimeMessage({ ...email, from, date: new Date() })));
    },
  };
}

/** The binding when configured; otherwise the dev mailbox in development and tests, and a sender that fails everywhere else. */
export function emailSenderFor(env: Pick<Env, 'EMAIL' | 'EMAIL_FROM' | 'ENVIRONMENT'>): EmailSender {
  if (env.EMAIL && env.EMAIL_FROM) return cloudflareEmailSender(env.EMAIL, env.EMAIL_FROM);
  if (usesDevMailbox(env.ENVIRONMENT)) return devMailboxSender;
  return unconfiguredSender(env);
}
