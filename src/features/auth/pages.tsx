/** Sign up, sign in and sign out, as pages. The same services and schemas as /api/auth. */
import type { Context } from 'hono';
import { clearSessionCookie, setSessionCookie } from '../../platform/auth/cookie';
import { pageApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { redirectWithFlash } from '../../platform/ui/flash';
import { Field, formAction, FormErrors, formField, keptForm, type FormState } from '../../platform/ui/form';
import { Form } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import { currentUser, safeNext } from '../../platform/ui/page-session';
import { clientInfo } from '../../platform/http/client';
import { deliverAccountOutbox } from '../../platform/email/outbox';
import { invitedAddress, joinOnArrival } from '../invitations/arrival';
import { loginBody, mfaLoginBody, signupBody } from './inputs';
import { logIn, logInWithMfa, logOut, openSession, signUp } from './service';

/** Someone following an invitation link joins that organisation: they do not need one of their own. */
const isInvitation = (next: string | undefined) => next?.startsWith('/invitations/') ?? false;

function withNext(path: string, next: string | undefined): string {
  return next ? `${path}?${new URLSearchParams({ next })}` : path;
}

function signInPage(c: Context<PageEnv>, state: FormState, next: string | undefined) {
  return renderPage(
    c,
    { title: 'Sign in', narrow: true },
    <div class="card">
      <h1>Sign in</h1>
      {isInvitation(next) && <p>Sign in to accept your invitation.</p>}
      <Form csrf={c.get('csrfToken')} action="/signin" label="Sign in">
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

async function signUpPage(c: Context<PageEnv>, state: FormState, next: string | undefined) {
  const invited = isInvitation(next);
  // Reached from an invitation: the account is for the address it was sent to, so that address is filled in and fixed.
  const address = invited ? await invitedAddress(c, next) : undefined;
  return renderPage(
    c,
    { title: 'Create your account', narrow: true },
    <div class="card">
      <h1>Create your account</h1>
      {address && (
        <p>
          Create your account for <strong>{address.email}</strong>, the address the invitation was sent to. You join {address.tenantName} as soon as it is created.
        </p>
      )}
      <Form csrf={c.get('csrfToken')} action="/signup" label="Create your account">
        {next && <input type="hidden" name="next" value={next} />}
        <FormErrors state={state} />
        <Field name="name" label="Your name" state={state} autocomplete="name" required />
        {address ? (
          <Field name="email" label="Work email" type="email" state={EMPTY_VALUES} initial={address.email} readonly hint="The invitation is for this address." required />
        ) : (
          <Field name="email" label="Work email" type="email" state={state} autocomplete="email" required />
        )}
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

/** The locked address keeps its value whatever was posted; its errors, if any, still show. */
const EMPTY_VALUES: FormState = { values: {}, errors: {} };

/** The second step of a two-step sign-in: the first step's mfaToken, carried in the form, and a code. */
function mfaStepPage(c: Context<PageEnv>, state: FormState, mfaToken: string, next: string | undefined) {
  return renderPage(
    c,
    { title: 'Two-factor sign-in', narrow: true },
    <div class="card">
      <h1>Two-factor sign-in</h1>
      <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
      <Form csrf={c.get('csrfToken')} action="/signin/mfa" label="Two-factor sign-in">
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

/** Sign-in or sign-up, empty or as a failed post left it; someone already signed in goes on to `next`. */
async function entryPage(c: Context<PageEnv>, page: (c: Context<PageEnv>, state: FormState, next: string | undefined) => Promise<Response>) {
  const next = safeNext(c.req.query('next'));
  if (currentUser(c)) return c.redirect(next ?? '/', 303);
  return page(c, await keptForm(c), next);
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
        if (result.mfaRequired) return mfaStepPage(c, EMPTY_VALUES, result.mfaToken, next);
        setSessionCookie(c, result.token);
        return c.redirect(next ?? '/', 303);
      },
      back: withNext('/signin', next),
      refusalField: '_form',
    });
  })
  // A wrong code comes back here (PRG), the first step's mfaToken kept with the form; without one, sign in again.
  .get('/signin/mfa', async (c) => {
    const next = safeNext(c.req.query('next'));
    const state = await keptForm(c);
    const mfaToken = state.values.mfaToken;
    if (!mfaToken) return c.redirect(withNext('/signin', next), 303);
    return mfaStepPage(c, state, mfaToken, next);
  })
  .post('/signin/mfa', async (c) => {
    const next = safeNext(await formField(c, 'next'));
    return formAction(c, mfaLoginBody, {
      submit: async (input) => {
        const { token } = await logInWithMfa(requestContext(c), input, clientInfo(c));
        setSessionCookie(c, token);
        return c.redirect(next ?? '/', 303);
      },
      back: withNext('/signin/mfa', next),
      refusalField: '_form',
    });
  })
  .get('/signup', (c) => entryPage(c, signUpPage))
  .post('/signup', async (c) => {
    const next = safeNext(await formField(c, 'next'));
    return formAction(c, signupBody, {
      submit: async (input) => {
        const ctx = requestContext(c);
        // Reached from an invitation sent to this very address: its link proved the address, so the outcome may be told and the account signed in.
        const addressProven = (await invitedAddress(c, next))?.email === input.email;
        const result = await signUp(ctx, input, clientInfo(c), { addressProven });
        c.executionCtx.waitUntil(deliverAccountOutbox(c.env, { log: c.get('log') }));
        if (!addressProven) {
          // Created or not, the same answer (issue 17 #10): whether the address has an account is told only to its inbox.
          return redirectWithFlash(c, withNext('/signin', next), { kind: 'success', message: `We have emailed ${input.email}. Follow the link in it to confirm your address, and sign in here.` });
        }
        if (!result.created) return redirectWithFlash(c, withNext('/signin', next), { kind: 'info', message: `${input.email} already has an account: sign in to accept the invitation.` });
        const { token } = await openSession(ctx, result.user, clientInfo(c), 'signup');
        setSessionCookie(c, token);
        // Joined now, without a second click on Accept.
        return (await joinOnArrival(c, result.user, next)) ?? c.redirect(next ?? '/', 303);
      },
      back: withNext('/signup', next),
      refusalField: '_form',
    });
  })
  .post('/signout', async (c) => {
    // `next`: an invitation for another address, opened again signed out.
    const next = safeNext(await formField(c, 'next'));
    const user = currentUser(c);
    if (user) await logOut(requestContext(c), user, clientInfo(c));
    clearSessionCookie(c);
    return redirectWithFlash(c, next ?? '/signin', { kind: 'info', message: 'You are signed out.' });
  });
