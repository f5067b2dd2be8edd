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

/** Production: Cloudflare Email Routing's `send_email` binding, as a plain-text MIME message. */
export function cloudflareEmailSender(binding: SendEmail, from: string): EmailSender {
  return {
    name: 'cloudflare-send-email',
    async send(email) {
      const raw = [
        `From: ${from}`,
        `To: ${email.to}`,
        `Subject: ${email.subject}`,
        `Message-ID: <${email.id}@${from.split('@')[1] ?? 'saas-slice'}>`,
        `Date: ${new Date().toUTCString()}`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        email.text,
      ].join('\r\n');
      await binding.send(new EmailMessage(from, email.to, raw));
    },
  };
}

export function emailSenderFor(env: Pick<Env, 'EMAIL' | 'EMAIL_FROM'>): EmailSender {
  return env.EMAIL && env.EMAIL_FROM ? cloudflareEmailSender(env.EMAIL, env.EMAIL_FROM) : devMailboxSender;
}
