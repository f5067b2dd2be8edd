/**
 * Forms without client JavaScript: read a POSTed form through the feature's
 * own zod schema (the same one the API validates JSON with), and on failure
 * re-render it with each message next to its field and the input kept.
 */
import type { Context } from 'hono';
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import { z } from 'zod';
import { AppError, notFound } from '../errors';
import { statusOf, type ErrorStatus } from '../http/errors';
import { redirectWithFlash, type Flash } from './flash';
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
  const result = schema.safeParse(input);
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

export interface FormAction<E extends PageEnv, T> {
  /** Does the work with the valid input and answers (a redirect, mostly). */
  submit: (data: T) => Promise<Response>;
  /** The page again, with the form's state, at `status`, with a flash when the refusal goes there. */
  render: (c: Context<E>, state: FormState, status: PageStatus, flash?: Flash) => Promise<Response>;
  /**
   * Where a service's refusal is shown: in the flash above the page (the
   * default), or on the form, next to the field this names (`_form` for above it).
   */
  refusalField?: string | ((refusal: AppError) => string);
}

/**
 * A page's form post, the one way: the input through the feature's schema
 * (invalid: the form again, 400, each message by its field); then `submit`;
 * a service's refusal renders the form again, input kept, with the refusal's
 * status. Anything unexpected goes on to the error page.
 */
export async function formAction<E extends PageEnv, S extends z.ZodObject>(c: Context<E>, schema: S, action: FormAction<E, z.output<S>>): Promise<Response> {
  const form = await readForm(c, schema);
  if (!form.ok) return action.render(c, form.state, 400);
  try {
    return await action.submit(form.data);
  } catch (err) {
    const refusal = asRefusal(err);
    if (action.refusalField === undefined) return action.render(c, form.state, statusOf(refusal), { kind: 'error', message: refusal.message });
    const field = typeof action.refusalField === 'function' ? action.refusalField(refusal) : action.refusalField;
    return action.render(c, withError(form.state, refusal, field), statusOf(refusal));
  }
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
  type?: 'text' | 'email' | 'password' | 'number' | 'search';
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
