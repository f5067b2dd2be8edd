/**
 * Account pages: settings (profile, email, password, sessions, security log),
 * two-factor enrolment, and the emailed-link pages (verify, reset). The same
 * services and schemas as the JSON API.
 */
import type { Context } from 'hono';
import { renderSVG } from 'uqr';
import { deliverAccountOutbox } from '../../platform/email/outbox';
import { pageApp } from '../../platform/http/apps';
import { clientInfo } from '../../platform/http/client';
import { requestContext } from '../../platform/http/request-context';
import { redirectWithFlash } from '../../platform/ui/flash';
import { buttonAction, EMPTY_FORM, Field, FormCard, formAction, FormErrors, formField, keptForm, readParams, type FormState, type PageStatus } from '../../platform/ui/form';
import { DataTable, Form, formatTime } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import { currentUser, requireSignedIn, safeNext } from '../../platform/ui/page-session';
import { listSessions, revokeSession, revokeSessions } from '../auth/sessions';
import { changeEmailBody, changePasswordBody, codeBody, passwordResetBody, passwordResetConfirmBody, sessionParams, tokenBody } from './inputs';
import { listSecurityLog, securityEvent } from './security-log';
import {
  changePassword,
  confirmMfa,
  confirmPasswordReset,
  disableMfa,
  limitPasswordResets,
  pendingMfa,
  recoveryCodesLeft,
  requestEmailChange,
  resendVerification,
  sendPasswordReset,
  setUpMfa,
  verifyEmail,
} from './service';

type Forms = { email: FormState; password: FormState };
const NO_FORMS: Forms = { email: EMPTY_FORM, password: EMPTY_FORM };
const EMAIL_FORM = 'email';
const PASSWORD_FORM = 'password';

function withNext(path: string, next: string | undefined): string {
  return next ? `${path}?${new URLSearchParams({ next })}` : path;
}

function signedIn(c: Context<PageEnv>) {
  const user = currentUser(c);
  if (!user) throw new Error('requireSignedIn() runs first');
  return user;
}

async function settingsPage(c: Context<PageEnv>, forms: Forms = NO_FORMS, status: PageStatus = 200) {
  const user = signedIn(c);
  const ctx = requestContext(c);
  const viewer = await c.get('viewer')();
  const [sessions, log] = await Promise.all([listSessions(ctx, user.userId, user.sessionId), listSecurityLog(ctx, user.userId, { limit: 30 })]);
  return renderPage(
    c,
    { title: 'Your account', status },
    <>
      <div class="page-head">
        <h1>Your account</h1>
        <p class="muted">
          {viewer?.user.name} · {user.email} · {user.emailVerified ? 'address confirmed' : 'address not confirmed yet'}
        </p>
      </div>
      <FormCard id="email-heading" heading="Change email address" csrf={c.get('csrfToken')} action="/account/email" state={forms.email} intro={<p>The new address takes effect once you follow the link we send to it.</p>}>
        <Field name="email" label="New email" type="email" state={forms.email} autocomplete="email" required />
        <Field name="currentPassword" label="Current password" type="password" state={forms.email} autocomplete="current-password" required keepValue={false} />
        <button type="submit">Send confirmation link</button>
      </FormCard>
      <FormCard id="password-heading" heading="Change password" csrf={c.get('csrfToken')} action="/account/password" state={forms.password} intro={<p>Your other sessions are signed out.</p>}>
        <Field name="currentPassword" label="Current password" type="password" state={forms.password} autocomplete="current-password" required keepValue={false} />
        <Field name="newPassword" label="New password" type="password" state={forms.password} autocomplete="new-password" hint="At least 10 characters." required keepValue={false} />
        <button type="submit">Change password</button>
      </FormCard>
      <section class="card" aria-labelledby="mfa-heading">
        <h2 id="mfa-heading">Two-factor sign-in</h2>
        <p>{user.mfaEnabled ? 'On: signing in asks for a code from your authenticator app.' : 'Off.'}</p>
        <a href="/account/two-factor">{user.mfaEnabled ? 'Manage two-factor sign-in' : 'Turn on two-factor sign-in'}</a>
      </section>
      <section class="card" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Sessions</h2>
        <DataTable
          caption="Where you are signed in"
          captionHidden
          head={['Device', 'Signed in', 'Last seen', '']}
          empty="No sessions."
          rows={sessions.map((s) => (
            <tr>
              <td>
                {s.userAgent ?? 'Unknown device'}
                {s.country ? ` (${s.country})` : ''}
                {s.current ? ' · this session' : ''}
              </td>
              <td>{formatTime(s.createdAt)}</td>
              <td>{formatTime(s.lastSeenAt)}</td>
              <td>
                {!s.current && (
                  <Form csrf={c.get('csrfToken')} action={`/account/sessions/${s.id}/revoke`} label={`Sign out the session from ${formatTime(s.createdAt)}`}>
                    <button type="submit" class="danger small">
                      Sign out
                    </button>
                  </Form>
                )}
              </td>
            </tr>
          ))}
        />
        <Form csrf={c.get('csrfToken')} action="/account/sessions/revoke-others">
          <button type="submit" class="danger">Sign out all other sessions</button>
        </Form>
      </section>
      <section class="card" aria-labelledby="log-heading">
        <h2 id="log-heading">Security log</h2>
        <DataTable
          caption="Recent security events"
          captionHidden
          dense
          head={['When', 'What', 'From']}
          empty="Nothing yet."
          rows={log.entries.map((e) => (
            <tr>
              <td>{formatTime(e.at)}</td>
              <td>{e.event}</td>
              <td>{[e.ip, e.userAgent].filter(Boolean).join(' · ')}</td>
            </tr>
          ))}
        />
      </section>
    </>,
  );
}

function qrSvg(text: string): string {
  return renderSVG(text, { border: 2 });
}

async function twoFactorPage(c: Context<PageEnv>, state: FormState = EMPTY_FORM, status: PageStatus = 200) {
  const user = signedIn(c);
  const ctx = requestContext(c);
  const next = safeNext(c.req.query('next') ?? (await formFieldOrUndefined(c, 'next')));
  const nextInput = next && <input type="hidden" name="next" value={next} />;
  if (user.mfaEnabled) {
    const left = await recoveryCodesLeft(ctx, user.userId);
    return renderPage(
      c,
      { title: 'Two-factor sign-in', narrow: true, status },
      <FormCard id="mfa-off" heading="Two-factor sign-in is on" csrf={c.get('csrfToken')} action="/account/two-factor/disable" state={state} intro={<p>{left} recovery codes left. To turn it off, enter a current code.</p>}>
        <Field name="code" label="Code" state={state} autocomplete="one-time-code" required keepValue={false} />
        <button type="submit" class="danger">Turn off</button>
      </FormCard>,
    );
  }
  const pending = await pendingMfa(ctx, user);
  return renderPage(
    c,
    { title: 'Two-factor sign-in', narrow: true, status },
    <div class="card">
      <h1>Two-factor sign-in</h1>
      {next && <p role="status">This organisation requires two-factor sign-in. Turn it on to continue.</p>}
      {pending ? (
        <>
          <p>Scan this code with your authenticator app, or type the secret in, then enter the code it shows.</p>
          <figure class="qr" aria-label="QR code for your authenticator app" dangerouslySetInnerHTML={{ __html: qrSvg(pending.otpauthUrl) }} />
          <p>
            Secret: <code data-testid="mfa-secret">{pending.secret}</code>
          </p>
          <Form csrf={c.get('csrfToken')} action="/account/two-factor/confirm" label="Confirm two-factor sign-in">
            {nextInput}
            <FormErrors state={state} />
            <Field name="code" label="Code from the app" state={state} autocomplete="one-time-code" required keepValue={false} />
            <button type="submit">Turn on</button>
          </Form>
        </>
      ) : (
        <Form csrf={c.get('csrfToken')} action="/account/two-factor/setup" label="Set up two-factor sign-in">
          {nextInput}
          <p>Signing in will ask for a code from an authenticator app as well as your password.</p>
          <button type="submit">Set up</button>
        </Form>
      )}
    </div>,
  );
}

async function formFieldOrUndefined(c: Context<PageEnv>, name: string): Promise<string | undefined> {
  return c.req.method === 'POST' ? formField(c, name) : undefined;
}

function messagePage(c: Context<PageEnv>, title: string, body: string, status: PageStatus = 200) {
  return renderPage(
    c,
    { title, narrow: true, status },
    <div class="card">
      <h1>{title}</h1>
      <p>{body}</p>
    </div>,
  );
}

function forgotPage(c: Context<PageEnv>, state: FormState, status: PageStatus = 200) {
  return renderPage(
    c,
    { title: 'Forgot your password?', narrow: true, status },
    <FormCard id="forgot" heading="Forgot your password?" csrf={c.get('csrfToken')} action="/forgot-password" state={state} intro={<p>We email you a link to choose a new one.</p>}>
      <Field name="email" label="Email" type="email" state={state} autocomplete="username" required />
      <button type="submit">Send the link</button>
    </FormCard>,
  );
}

function resetPage(c: Context<PageEnv>, state: FormState, token: string, status: PageStatus = 200) {
  return renderPage(
    c,
    { title: 'Choose a new password', narrow: true, status },
    <FormCard id="reset" heading="Choose a new password" csrf={c.get('csrfToken')} action="/reset-password" state={state} intro={<p>Every session of your account is signed out.</p>}>
      <input type="hidden" name="token" value={token} />
      <Field name="password" label="New password" type="password" state={state} autocomplete="new-password" hint="At least 10 characters." required keepValue={false} />
      <button type="submit">Set password</button>
    </FormCard>,
  );
}

/** Mounted at /. */
export const accountPages = pageApp()
  .get('/account', requireSignedIn(), async (c) => settingsPage(c, { email: await keptForm(c, EMAIL_FORM), password: await keptForm(c, PASSWORD_FORM) }))
  .post('/account/email', requireSignedIn(), (c) =>
    formAction(c, changeEmailBody, {
      submit: async (input) => {
        await requestEmailChange(requestContext(c), signedIn(c), input, clientInfo(c));
        c.executionCtx.waitUntil(deliverAccountOutbox(c.env, { log: c.get('log') }));
        return redirectWithFlash(c, '/account', { kind: 'success', message: `We sent a link to ${input.email}: your address changes once you follow it.` });
      },
      back: '/account',
      formId: EMAIL_FORM,
      refusalField: '_form',
    }),
  )
  .post('/account/password', requireSignedIn(), (c) =>
    formAction(c, changePasswordBody, {
      submit: async (input) => {
        await changePassword(requestContext(c), signedIn(c), input, clientInfo(c));
        return redirectWithFlash(c, '/account', { kind: 'success', message: 'Password changed; your other sessions are signed out.' });
      },
      back: '/account',
      formId: PASSWORD_FORM,
      refusalField: '_form',
    }),
  )
  .post('/account/sessions/revoke-others', requireSignedIn(), (c) =>
    buttonAction(c, '/account', async () => {
      const user = signedIn(c);
      const ctx = requestContext(c);
      await ctx.global.batch([revokeSessions(ctx, user.userId, user.sessionId), securityEvent(ctx, user.userId, 'sessions.revoked_others', clientInfo(c))]);
      return 'Every other session is signed out.';
    }),
  )
  .post('/account/sessions/:id/revoke', requireSignedIn(), (c) =>
    buttonAction(c, '/account', async () => {
      const user = signedIn(c);
      const ctx = requestContext(c);
      const { id } = readParams(c, sessionParams);
      await revokeSession(ctx, user.userId, id);
      await securityEvent(ctx, user.userId, 'session.revoked', clientInfo(c), { sessionId: id });
      return 'That session is signed out.';
    }),
  )
  .post('/account/verify-email/resend', requireSignedIn(), (c) =>
    buttonAction(c, '/account', async () => {
      await resendVerification(requestContext(c), signedIn(c));
      c.executionCtx.waitUntil(deliverAccountOutbox(c.env, { log: c.get('log') }));
      return 'We sent a new confirmation link.';
    }),
  )
  .get('/account/two-factor', requireSignedIn(), async (c) => twoFactorPage(c, await keptForm(c)))
  .post('/account/two-factor/setup', requireSignedIn(), async (c) => {
    await setUpMfa(requestContext(c), signedIn(c));
    const next = safeNext(await formField(c, 'next'));
    return c.redirect(next ? `/account/two-factor?${new URLSearchParams({ next })}` : '/account/two-factor', 303);
  })
  .post('/account/two-factor/confirm', requireSignedIn(), async (c) => {
    const next = safeNext(await formField(c, 'next'));
    return formAction(c, codeBody, {
      submit: async ({ code }) => {
        const { recoveryCodes } = await confirmMfa(requestContext(c), signedIn(c), code, clientInfo(c));
        return renderPage(
          c,
          { title: 'Two-factor sign-in is on', narrow: true },
          <div class="card">
            <h1>Two-factor sign-in is on</h1>
            <p>Keep these recovery codes somewhere safe: each signs you in once if you lose your device. They are not shown again.</p>
            <ul class="codes" data-testid="recovery-codes">
              {recoveryCodes.map((rc) => (
                <li>
                  <code>{rc}</code>
                </li>
              ))}
            </ul>
            <a href={next ?? '/account'}>Continue</a>
          </div>,
        );
      },
      back: withNext('/account/two-factor', next),
      refusalField: '_form',
    });
  })
  .post('/account/two-factor/disable', requireSignedIn(), (c) =>
    formAction(c, codeBody, {
      back: '/account/two-factor',
      submit: async ({ code }) => {
        await disableMfa(requestContext(c), signedIn(c), code, clientInfo(c));
        return redirectWithFlash(c, '/account', { kind: 'success', message: 'Two-factor sign-in is off.' });
      },
      refusalField: '_form',
    }),
  )
  .get('/forgot-password', async (c) => forgotPage(c, await keptForm(c)))
  .post('/forgot-password', (c) =>
    formAction(c, passwordResetBody, {
      submit: async ({ email }) => {
        const ctx = requestContext(c);
        const client = clientInfo(c);
        await limitPasswordResets(ctx, email, client);
        c.executionCtx.waitUntil(sendPasswordReset(ctx, email, client).then(() => deliverAccountOutbox(c.env, { log: c.get('log') })));
        return messagePage(c, 'Check your email', `If ${email} has an account, we sent it a link to choose a new password. The link works once, for an hour.`);
      },
      back: '/forgot-password',
      refusalField: '_form',
    }),
  )
  .get('/reset-password', async (c) => resetPage(c, await keptForm(c), c.req.query('token') ?? ''))
  .post('/reset-password', async (c) => {
    const token = (await formField(c, 'token')) ?? '';
    return formAction(c, passwordResetConfirmBody, {
      submit: async (input) => {
        await confirmPasswordReset(requestContext(c), input, clientInfo(c));
        return redirectWithFlash(c, '/signin', { kind: 'success', message: 'Your password is set. Sign in with it.' });
      },
      back: `/reset-password?${new URLSearchParams({ token })}`,
      refusalField: '_form',
    });
  })
  // A GET only shows the button: mail scanners that fetch links must not use the token up.
  .get('/verify-email', (c) =>
    renderPage(
      c,
      { title: 'Confirm your email address', narrow: true },
      <div class="card">
        <h1>Confirm your email address</h1>
        <Form csrf={c.get('csrfToken')} action="/verify-email" label="Confirm your email address">
          <input type="hidden" name="token" value={c.req.query('token') ?? ''} />
          <button type="submit">Confirm</button>
        </Form>
      </div>,
    ),
  )
  .post('/verify-email', async (c) =>
    formAction(c, tokenBody, {
      // A refused link shows its reason on the page it came from.
      back: `/verify-email?${new URLSearchParams({ token: (await formField(c, 'token')) ?? '' })}`,
      submit: async ({ token }) => {
        await verifyEmail(requestContext(c), token);
        return redirectWithFlash(c, currentUser(c) ? '/' : '/signin', { kind: 'success', message: 'Your email address is confirmed.' });
      },
    }),
  );

