/**
 * Forms without client JavaScript: read a POSTed form through the feature's
 * own zod schema (the same one the API validates JSON with), and on failure
 * re-render it with each message next to its field and the input kept.
 */
import type { Context } from 'hono';
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import { z } from 'zod';
import { AppError, notFound } from '../errors';
import type { ErrorStatus } from '../http/errors';
import { redirectWithFlash, takeFlash } from './flash';
import { Form } from './layout';
import type { PageEnv } from './page-env';

/** Messages per field; `_form` holds those about the form as a whole. */
export type FieldErrors = Partial<Record<string, string[]>>;

export interface FormState {
  values: Record<string, string>;
  errors: FieldErrors;
}

export const EMPTY_FORM: FormState = { values: {}, errors: {} };

type FormResult<T> = { ok: true; data: T; state: FormState } | { ok: false; state: FormState };

/**
 * The schema's fields from the POSTed form (anything else, like the CSRF
 * token, is left out); an empty field counts as not given, so optional
 * fields stay optional.
 */
export async function readForm<E extends PageEnv, S extends z.ZodObject>(c: Context<E>, schema: S): Promise<FormResult<z.output<S>>> {
  const body = await c.req.parseBody();
  const values: Record<string, string> = {};
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = body[key];
    if (typeof value !== 'string') continue;
    values[key] = value;
    if (value.trim() !== '') input[key] = value;
  }
  // A blank field reaches the schema as missing: say so in words, not as zod's "expected string, received undefined".
  const result = schema.safeParse(input, { error: (issue) => (issue.input === undefined ? 'Fill in this field.' : undefined) });
  if (result.success) return { ok: true, data: result.data, state: { values, errors: {} } };
  const flat = z.flattenError(result.error);
  return { ok: false, state: { values, errors: { ...flat.fieldErrors, ...(flat.formErrors.length ? { _form: flat.formErrors } : {}) } } };
}

/** Route params through the feature's schema; a malformed id is as unknown as a missing one (404). */
export function readParams<E extends PageEnv, S extends z.ZodType>(c: Context<E>, schema: S): z.output<S> {
  const result = schema.safeParse(c.req.param());
  if (!result.success) throw notFound();
  return result.data;
}

/** One raw field of the POSTed form that no schema covers (`next`). */
export async function formField<E extends PageEnv>(c: Context<E>, name: string): Promise<string | undefined> {
  const value = (await c.req.parseBody())[name];
  return typeof value === 'string' ? value : undefined;
}

/** A service's refusal, shown on the form: next to `field` when given, else above the form. */
function withError(state: FormState, err: AppError, field = '_form'): FormState {
  if (err.code === 'validation_failed') {
    const details = err.details as { fieldErrors?: FieldErrors; formErrors?: string[] } | undefined;
    return { values: state.values, errors: { ...details?.fieldErrors, _form: details?.formErrors?.length ? details.formErrors : [err.message] } };
  }
  return { values: state.values, errors: { ...state.errors, [field]: [err.message] } };
}

/** A service's AppError, to show on the form; anything unexpected goes on to the error page. */
function asRefusal(err: unknown): AppError {
  if (err instanceof AppError && err.code !== 'internal') return err;
  throw err;
}

/** The statuses a page answers with. */
export type PageStatus = 200 | ErrorStatus;

/** The form a page shows when nothing was posted, or the kept one. */
export const MAIN_FORM = 'main';

export interface FormAction<T> {
  /** Does the work with the valid input and answers (a redirect, mostly). */
  submit: (data: T) => Promise<Response>;
  /** The page (GET) showing the form, where a failed post goes back to; the post's own path when omitted. */
  back?: string;
  /** Which of the page's forms this is, when it has several (`keptForm(c, id)`). */
  formId?: string;
  /**
   * Where a service's refusal is shown: in the flash above the page (the
   * default), or on the form, next to the field this names (`_form` for above it).
   */
  refusalField?: string | ((refusal: AppError) => string);
}

const NEEDS_ATTENTION = 'Some fields need attention: see the form below.';

/** Passwords never ride in the flash cookie, sealed or not. */
function withoutSecrets(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([key]) => !key.toLowerCase().includes('password')));
}

/**
 * A page's form post, the one way: the input through the feature's schema,
 * then `submit`. A failure ends in a redirect too (post/redirect/get), so
 * Back and reload never resubmit: to `back`, with the input and each message
 * by its field kept in the flash for `keptForm`; a service's refusal is said
 * in the flash (or by its field). Anything unexpected goes on to the error page.
 */
export async function formAction<E extends PageEnv, S extends z.ZodObject>(c: Context<E>, schema: S, action: FormAction<z.output<S>>): Promise<Response> {
  const back = action.back ?? c.req.path;
  const id = action.formId ?? MAIN_FORM;
  const form = await readForm(c, schema);
  const failed = (state: FormState, message: string) =>
    redirectWithFlash(c, back, { kind: 'error', message, form: { id, values: withoutSecrets(state.values), errors: state.errors } });
  if (!form.ok) return failed(form.state, NEEDS_ATTENTION);
  try {
    return await action.submit(form.data);
  } catch (err) {
    const refusal = asRefusal(err);
    if (action.refusalField === undefined) return failed(form.state, refusal.message);
    const field = typeof action.refusalField === 'function' ? action.refusalField(refusal) : action.refusalField;
    // Said once: above the form is what the flash is for.
    if (field === '_form' && refusal.code !== 'validation_failed') return failed(form.state, refusal.message);
    return failed(withError(form.state, refusal, field), NEEDS_ATTENTION);
  }
}

/** The state of form `id` after a failed post redirected here, or an empty form. */
export async function keptForm<E extends PageEnv>(c: Context<E>, id = MAIN_FORM): Promise<FormState> {
  const kept = (await takeFlash(c))?.form;
  return kept?.id === id ? { values: kept.values, errors: kept.errors } : EMPTY_FORM;
}

/**
 * A one-button post (remove, revoke, delete, open the portal): `run` returns
 * the success message, shown at `back`, or its own answer (a redirect
 * elsewhere); a service's refusal is shown at `back` too.
 */
export async function buttonAction<E extends PageEnv>(c: Context<E>, back: string, run: () => Promise<string | Response>): Promise<Response> {
  let outcome: string | Response;
  try {
    outcome = await run();
  } catch (err) {
    return redirectWithFlash(c, back, { kind: 'error', message: asRefusal(err).message });
  }
  return typeof outcome === 'string' ? redirectWithFlash(c, back, { kind: 'success', message: outcome }) : outcome;
}

function describedBy(id: string, hint?: string, error?: string[]): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error?.length ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

const FieldMessages: FC<{ id: string; hint?: string; error?: string[] }> = ({ id, hint, error }) => (
  <>
    {hint && (
      <span class="hint" id={`${id}-hint`}>
        {hint}
      </span>
    )}
    {error?.length ? (
      <p class="field-error" id={`${id}-error`}>
        {error.join(' ')}
      </p>
    ) : null}
  </>
);

interface FieldFrameProps {
  name: string;
  label: string;
  state: FormState;
  id?: string;
  hint?: string;
}

interface ControlWiring {
  id: string;
  invalid: 'true' | undefined;
  describedBy: string | undefined;
}

/** A labelled control with its hint and its errors, tied together for screen readers. */
function fieldFrame(p: FieldFrameProps, control: (wiring: ControlWiring) => Child) {
  const id = p.id ?? `field-${p.name}`;
  const error = p.state.errors[p.name];
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      {control({ id, invalid: error?.length ? 'true' : undefined, describedBy: describedBy(id, p.hint, error) })}
      <FieldMessages id={id} hint={p.hint} error={error} />
    </div>
  );
}

export interface FieldProps extends FieldFrameProps {
  type?: 'text' | 'email' | 'password' | 'number' | 'search' | 'date';
  required?: boolean;
  autocomplete?: string;
  min?: number;
  max?: number;
  placeholder?: string;
  pattern?: string;
  /** The value when the form was not submitted yet. */
  initial?: string;
  /** Passwords are never echoed back. */
  keepValue?: boolean;
  /** Shown and sent, not editable (the address an invitation was sent to). */
  readonly?: boolean;
}

export const Field: FC<FieldProps> = (p) =>
  fieldFrame(p, ({ id, invalid, describedBy }) => (
    <input
      id={id}
      name={p.name}
      type={p.type ?? 'text'}
      value={p.keepValue === false ? undefined : (p.state.values[p.name] ?? p.initial)}
      required={p.required}
      autocomplete={p.autocomplete}
      min={p.min}
      max={p.max}
      placeholder={p.placeholder}
      pattern={p.pattern}
      readonly={p.readonly}
      aria-invalid={invalid}
      aria-describedby={describedBy}
    />
  ));

export interface SelectProps extends FieldFrameProps {
  options: { value: string; label: string }[];
  initial?: string;
}

export const SelectField: FC<SelectProps> = (p) => {
  const selected = p.state.values[p.name] ?? p.initial;
  return fieldFrame(p, ({ id, invalid, describedBy }) => (
    <select id={id} name={p.name} aria-invalid={invalid} aria-describedby={describedBy}>
      {p.options.map((o) => (
        <option value={o.value} selected={o.value === selected}>
          {o.label}
        </option>
      ))}
    </select>
  ));
};

/** Messages about the form as a whole, above its fields. */
export const FormErrors: FC<{ state: FormState }> = ({ state }) =>
  state.errors._form?.length ? (
    <p class="form-error" role="alert">
      {state.errors._form.join(' ')}
    </p>
  ) : null;

/** A card holding one form, headed by what it does ("New project", "Invite someone"); `intro` goes above the form, `after` below. */
export const FormCard: FC<PropsWithChildren<{ id: string; heading: string; csrf: string; action: string; state: FormState; intro?: Child; after?: Child }>> = (p) => (
  <section class="card" aria-labelledby={p.id}>
    <h2 id={p.id}>{p.heading}</h2>
    {p.intro}
    <Form csrf={p.csrf} action={p.action} class="inline-form" label={p.heading}>
      <FormErrors state={p.state} />
      {p.children}
    </Form>
    {p.after}
  </section>
);
