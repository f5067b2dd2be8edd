/**
 * The dev mailbox: every email the app "sent", in development and tests,
 * where nothing leaves the machine. Anywhere else it does not exist (404).
 */
import type { Child } from 'hono/jsx';
import { listMailbox } from '../../platform/email/outbox';
import { usesDevMailbox } from '../../platform/email/sender';
import { notFound } from '../../platform/errors';
import { pageApp } from '../../platform/http/apps';
import { formatTime } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';

/** Text with its http(s) links made clickable (everything else stays text, escaped). */
function linkify(text: string): Child[] {
  return text.split(/(https?:\/\/[^\s<>"]+)/g).map((part, i) => (i % 2 === 1 ? <a href={part}>{part}</a> : part));
}

/** Mounted at /dev/mailbox. With `Accept: application/json`, the same mail as JSON, for scripts and tests (`?to=` narrows it to one address). */
export const devMailboxPages = pageApp().get('/', async (c) => {
  if (!usesDevMailbox(c.env.ENVIRONMENT)) throw notFound();
  const to = c.req.query('to')?.toLowerCase();
  const emails = await listMailbox(c.env, { to });
  if (c.req.header('Accept')?.includes('application/json')) {
    return c.json({ emails: emails.map(({ id, to, subject, text, createdAt }) => ({ id, to, subject, text, createdAt })) });
  }
  return renderPage(
    c,
    { title: 'Dev mailbox' },
    <>
      <div class="page-head">
        <h1>Dev mailbox</h1>
        <p class="muted">Development only: emails stay here instead of being sent.</p>
      </div>
      {emails.length === 0 && <p class="card">No emails yet.</p>}
      {emails.map((email) => (
        <article class="card" aria-labelledby={`mail-${email.id}`}>
          <h2 id={`mail-${email.id}`}>{email.subject}</h2>
          <dl class="facts">
            <dt>To</dt>
            <dd data-testid="mail-to">{email.to}</dd>
            <dt>Queued</dt>
            <dd>{formatTime(email.createdAt)}</dd>
            <dt>Delivered</dt>
            <dd>{email.sentAt ? formatTime(email.sentAt) : email.lastError ? `Failed: ${email.lastError}` : 'Pending'}</dd>
          </dl>
          <p class="mail">{linkify(email.text)}</p>
        </article>
      ))}
    </>,
  );
});
