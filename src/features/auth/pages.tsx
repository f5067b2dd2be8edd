/** Sign up, sign in and sign out, as pages. The same services and schemas as /api/auth. */
import type { Context } from 'hono';
import { clearSessionCookie, setSessionCookie } from '../../platform/auth/cookie';
import { pageApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { redirectWithFlash } from '../../platform/ui/flash';
import { EMPTY_FORM, Field, formAction, FormErrors, formField, type FormState, type PageStatus } from '../../platform/ui/form';
import { Form } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import { currentUser, safeNext } from '../../platform/ui/page-session';
import { tenantPath } from '../../platform/ui/paths';
import { clientInfo } from '../../platform/http/client';
import { deliverOutbox } from '../../platform/email/outbox';
import { loginBody, mfaLoginBody, signupBody } from './inputs';
import { logIn, logInWithMfa, logOut, signUp } from './service';

/** Someone following an invitation link joins that organisation: they do not need one of their own. */
const isInvitation = (next: string | undefined) => next?.startsWith('/invitations/') ?? false;

function withNext(path: string, next: string | undefined): string {
  return next ? `${path}?${new URLSearchParams({ next })}` : path;
}

function signInPage(c: Context<PageEnv>, state: FormState, next: string | undefined, status: PageStatus = 200) {
  return renderPage(
    c,
    { title: 'Sign in', narrow: true, status },
    <div class="card">
      <h1>Sign in</h1>
      {isInvitation(next) && <p>Sign in to accept your invitation.</p>}
      <Form csrf={c.var.csrfToken} action="/signin" label="Sign in">
        {next && <input type="hidden" name="next" value={next} />}
        <FormErrors state={state} />
        <Field name="email" label="Email" type="email" state={state} autocomplete="username" required />
        <Field name="password" label="Password" type="password" state={state} autocomplete="current-password" required keepValue={false} />
        <div class="actions">
          <button type="submit">Sign in</button>
          <a href="/forgot-password">Forgot your password?</a>
        </div>
      </Form>
      <p class="actions">
        New here?&nbsp;<a href={withNext('/signup', next)}>Create an account</a>
      </p>
    </div>,
  );
}

function signUpPage(c: Context<PageEnv>, state: FormState, next: string | undefined, status: PageStatus = 200) {
  const invited = isInvitation(next);
  return renderPage(
    c,
    { title: 'Create your account', narrow: true, status },
    <div class="card">
      <h1>Create your account</h1>
      {invited && <p>Create an account with the email address your invitation was sent to, then accept it.</p>}
      <Form csrf={c.var.csrfToken} action="/signup" label="Create your account">
        {next && <input type="hidden" name="next" value={next} />}
        <FormErrors state={state} />
        <Field name="name" label="Your name" state={state} autocomplete="name" required />
        <Field name="email" label="Work email" type="email" state={state} autocomplete="email" required />
        <Field name="password" label="Password" type="password" state={state} autocomplete="new-password" hint="At least 10 characters." required keepValue={false} />
        {!invited && (
          <Field name="tenantName" label="Organisation name" state={state} autocomplete="organization" hint="Optional: you can create or join one later." />
        )}
        <div class="actions">
          <button type="submit">Create account</button>
        </div>
      </Form>
      <p class="actions">
        Already have an account?&nbsp;<a href={withNext('/signin', next)}>Sign in</a>
      </p>
    </div>,
  );
}

/** The second step of a two-step sign-in: the first step's mfaToken, carried in the form, and a code. */
function mfaStepPage(c: Context<PageEnv>, state: FormState, mfaToken: string, next: string | undefined, status: PageStatus = 200) {
  return renderPage(
    c,
    { title: 'Two-factor sign-in', narrow: true, status },
    <div class="card">
      <h1>Two-factor sign-in</h1>
      <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
      <Form csrf={c.var.csrfToken} action="/signin/mfa" label="Two-factor sign-in">
        <input type="hidden" name="mfaToken" value={mfaToken} />
        {next && <input type="hidden" name="next" value={next} />}
        <FormErrors state={state} />
        <Field name="code" label="Code" state={state} autocomplete="one-time-code" required keepValue={false} />
        <div class="actions">
          <button type="submit">Verify</button>
        </div>
      </Form>
    </div>,
  );
}

/** Sign-in or sign-up, empty; someone already signed in goes on to `next`. */
function entryPage(c: Context<PageEnv>, page: typeof signInPage) {
  const next = safeNext(c.req.query('next'));
  if (currentUser(c)) return c.redirect(next ?? '/', 303);
  return page(c, EMPTY_FORM, next);
}

/** Mounted at /. */
export const authPages = pageApp()
  .get('/signin', (c) => entryPage(c, signInPage))
  .post('/signin', async (c) => {
    const next = safeNext(await formField(c, 'next'));
    // A wrong password (401) or too many attempts for this email (429, the service's rate limit).
    return formAction(c, loginBody, {
      submit: async (input) => {
        const result = await logIn(requestContext(c), input, clientInfo(c));
        if (result.mfaRequired) return mfaStepPage(c, EMPTY_FORM, result.mfaToken, next);
        setSessionCookie(c, result.token);
        return c.redirect(next ?? '/', 303);
      },
      render: (c, state, status) => signInPage(c, state, next, status),
      refusalField: '_form',
    });
  })
  .post('/signin/mfa', async (c) => {
    const next = safeNext(await formField(c, 'next'));
    const mfaToken = (await formField(c, 'mfaToken')) ?? '';
    return formAction(c, mfaLoginBody, {
      submit: async (input) => {
        const { token } = await logInWithMfa(requestContext(c), input, clientInfo(c));
        setSessionCookie(c, token);
        return c.redirect(next ?? '/', 303);
      },
      render: (c, state, status) => mfaStepPage(c, state, mfaToken, next, status),
      refusalField: '_form',
    });
  })
  .get('/signup', (c) => entryPage(c, signUpPage))
  .post('/signup', async (c) => {
    const next = safeNext(await formField(c, 'next'));
    return formAction(c, signupBody, {
      submit: async (input) => {
        const { token, tenant } = await signUp(requestContext(c), input, clientInfo(c));
        c.executionCtx.waitUntil(deliverOutbox(c.env, { log: c.var.log }));
        setSessionCookie(c, token);
        if (next) return c.redirect(next, 303);
        if (!tenant) return c.redirect('/', 303);
        return redirectWithFlash(c, tenantPath(tenant), { kind: 'success', message: `Welcome! ${tenant.name} is ready.` });
      },
      render: (c, state, status) => signUpPage(c, state, next, status),
      refusalField: (refusal) => (refusal.code === 'conflict' ? 'email' : '_form'),
    });
  })
  .post('/signout', async (c) => {
    const user = currentUser(c);
    if (user) await logOut(requestContext(c), user, clientInfo(c));
    clearSessionCookie(c);
    return redirectWithFlash(c, '/signin', { kind: 'info', message: 'You are signed out.' });
  });
