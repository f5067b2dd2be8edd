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

/**
 * Development and tests: nothing leaves the machine. The outbox row itself
 * is the delivered mail, and the dev mailbox page (/dev/mailbox) shows it.
 */
export const devMailboxSender: EmailSender = {
  name: 'dev-mailbox',
  async send() {},
};

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
export function cloudflareEmailSender(binding: SendEmail, from: string): EmailSender {
  return {
    name: 'cloudflare-send-email',
    async send(email) {
      await binding.send(new EmailMessage(from, email.to, buildMimeMessage({ ...email, from, date: new Date() })));
    },
  };
}

export function emailSenderFor(env: Pick<Env, 'EMAIL' | 'EMAIL_FROM'>): EmailSender {
  return env.EMAIL && env.EMAIL_FROM ? cloudflareEmailSender(env.EMAIL, env.EMAIL_FROM) : devMailboxSender;
}
