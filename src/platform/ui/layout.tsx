/**
 * The page chrome: header with the organisation switcher and sign-out, the
 * organisation's tabs (only those the viewer's role may open), the flash,
 * and the page itself. No scripts, no inline styles: the CSP forbids both.
 */
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { Role } from '../db/schema';
import { can } from '../tenancy/policy';
import type { Flash } from './flash';
import { CSRF_FIELD } from './form-csrf';
import type { CurrentTenant, NavTab, Viewer } from './page-env';
import { tenantPath } from './paths';
import { FAVICON_PATH, STYLESHEET_PATH } from './styles';

/** Roles in a sentence ("now an admin"). */
export const ROLE_NOUNS: Record<Role, string> = { owner: 'an owner', admin: 'an admin', member: 'a member' };

export const ROLE_LABELS: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

export interface LayoutProps {
  title: string;
  csrf: string;
  viewer: Viewer | null;
  tenant?: CurrentTenant;
  /** Every feature's tab; those the viewer's role may open are shown. */
  tabs: readonly NavTab[];
  /** The tab this page belongs to. */
  tab?: NavTab;
  flash?: Flash;
  /** Reload the page, or go to `url`, after `seconds` (the billing page while a payment is processed). */
  refresh?: { seconds: number; url?: string };
  /** A narrow column for the sign-in and sign-up forms. */
  narrow?: boolean;
}

export const Form: FC<PropsWithChildren<{ csrf: string; action: string; class?: string; label?: string }>> = ({ csrf, action, children, ...rest }) => (
  <form method="post" action={action} class={rest.class} aria-label={rest.label}>
    <input type="hidden" name={CSRF_FIELD} value={csrf} />
    {children}
  </form>
);

/**
 * A destructive row action (delete, revoke, remove): a link to its
 * confirmation page, which holds the form that does it (`ConfirmPage`).
 */
export const RowAction: FC<{ href: string; label: string; describedAs: string }> = (p) => (
  <a class="button danger small" href={p.href} aria-label={p.describedAs}>
    {p.label}
  </a>
);

/** Focus lands on the message after a post (autofocus, no script), so keyboard and screen reader users start at the outcome. */
const FlashMessage: FC<{ flash: Flash }> = ({ flash }) => (
  <div class={`flash flash-${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'} tabindex={-1} autofocus>
    <p>{flash.message}</p>
    {flash.reveal && (
      <p>
        <strong>{flash.reveal.label}</strong>
        <code class="reveal" data-testid="revealed">
          {flash.reveal.value}
        </code>
      </p>
    )}
  </div>
);

/** A popover, not a script: it closes on Escape and on a click outside, and returns focus to its button. */
const Switcher: FC<{ viewer: Viewer; current?: CurrentTenant }> = ({ viewer, current }) => (
  <div class="switcher">
    <button type="button" popovertarget="switcher-menu" class="switcher-button">
      <span class="visually-hidden">Organisation: </span>
      {current?.name ?? 'Organisations'}
    </button>
    <div id="switcher-menu" class="switcher-menu" popover="auto">
      <ul aria-label="Your organisations">
        {viewer.memberships.map(({ tenant, role }) => (
          <li>
            <a href={tenantPath(tenant)} aria-current={tenant.slug === current?.slug ? 'page' : undefined}>
              <span>{tenant.name}</span>
              <span class="role">{ROLE_LABELS[role]}</span>
            </a>
          </li>
        ))}
        <li class="new">
          <a href="/tenants/new">New organisation…</a>
        </li>
      </ul>
    </div>
  </div>
);

const Tabs: FC<{ tenant: CurrentTenant; tabs: readonly NavTab[]; tab?: NavTab }> = ({ tenant, tabs, tab }) => (
  <nav class="tabs" aria-label={`${tenant.name} sections`}>
    <ul>
      {tabs.filter((t) => can(tenant.role, t.permission)).map((t) => (
        <li>
          <a href={t.path ? tenantPath(tenant, t.path) : tenantPath(tenant)} aria-current={t === tab ? 'page' : undefined}>
            {t.label}
          </a>
        </li>
      ))}
    </ul>
  </nav>
);

export const Layout: FC<PropsWithChildren<LayoutProps>> = (props) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      {props.refresh && <meta http-equiv="refresh" content={props.refresh.url ? `${props.refresh.seconds}; url=${props.refresh.url}` : String(props.refresh.seconds)} />}
      <title>{props.tenant ? `${props.title} · ${props.tenant.name} · saas-slice` : `${props.title} · saas-slice`}</title>
      <link rel="stylesheet" href={STYLESHEET_PATH} />
      <link rel="icon" href={FAVICON_PATH} type="image/svg+xml" />
    </head>
    <body>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <a class="brand" href="/">
            saas-slice
          </a>
          {props.viewer ? (
            <>
              <Switcher viewer={props.viewer} current={props.tenant} />
              <a class="whoami" href="/account">
                {props.viewer.user.email}
              </a>
              <Form csrf={props.csrf} action="/signout">
                <button type="submit">Sign out</button>
              </Form>
            </>
          ) : (
            <a href="/signin">Sign in</a>
          )}
        </div>
      </header>
      {props.tenant && <Tabs tenant={props.tenant} tabs={props.tabs} tab={props.tab} />}
      <main id="main" class={props.narrow ? 'narrow' : undefined}>
        {props.flash && <FlashMessage flash={props.flash} />}
        {/* After the flash, which stays the first message on the page. */}
        {props.viewer && !props.viewer.user.emailVerified && (
          <div class="flash flash-info" role="status" data-testid="unverified-banner">
            <p>
              Confirm your email address: until then you cannot invite anyone, start a paid plan or create another organisation. We sent a link to{' '}
              {props.viewer.user.email}.
            </p>
            <Form csrf={props.csrf} action="/account/verify-email/resend">
              <button type="submit">Resend the link</button>
            </Form>
          </div>
        )}
        {props.children}
      </main>
      <footer class="footer">saas-slice · test mode</footer>
    </body>
  </html>
);

/**
 * A table in a scrolling frame, with an empty-state row; `stacked` tables
 * show each row as a block on narrow screens instead (rows with actions,
 * which must not sit off-screen).
 */
export const DataTable: FC<{ caption: string; head: string[]; empty: string; rows: Child[]; captionHidden?: boolean; dense?: boolean; stacked?: boolean }> = (props) => (
  <div class={['table-wrap', props.dense && 'dense', props.stacked && 'stacked'].filter(Boolean).join(' ')}>
    <table>
      <caption class={props.captionHidden ? 'visually-hidden' : undefined}>{props.caption}</caption>
      <thead>
        <tr>
          {props.head.map((h) => (
            <th scope="col">{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.length ? (
          props.rows
        ) : (
          <tr>
            <td class="empty" colspan={props.head.length}>
              {props.empty}
            </td>
          </tr>
        )}
      </tbody>
    </table>
  </div>
);

/** Dates as the audit log and lists show them: UTC, to the minute. */
export function formatTime(ms: number | null | undefined): string {
  if (!ms) return '—';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
