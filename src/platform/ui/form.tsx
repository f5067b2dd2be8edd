/**
 * Forms without client JavaScript: read a POSTed form through the feature's
 * own zod schema (the same one the API validates JSON with), and on failure
 * re-render it with each message next to its field and the input kept.
 */
import type { Context } from 'hono';
import type { FC } from 'hono/jsx';
import { z } from 'zod';
import { AppError, notFound } from '../http/errors';
import type { PageEnv } from './page-env';

/** Messages per field; `_form` holds those about the form as a whole. */
export type FieldErrors = Partial<Record<string, string[]>>;

export interface FormState {
  values: Record<string, string>;
  errors: FieldErrors;
}

export const EMPTY_FORM: FormState = { values: {}, errors: {} };

export type FormResult<T> = { ok: true; data: T; state: FormState } | { ok: false; state: FormState };

/**
 * The schema's fields from the POSTed form (anything else, like the CSRF
 * token, is left out); an empty field counts as not given, so optional
 * fields stay optional.
 */
export async function readForm<S extends z.ZodObject>(c: Context<PageEnv>, schema: S): Promise<FormResult<z.output<S>>> {
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
export function readParams<S extends z.ZodType>(c: Context<PageEnv>, schema: S): z.output<S> {
  const result = schema.safeParse(c.req.param());
  if (!result.success) throw notFound();
  return result.data;
}

/** One raw field of the POSTed form that no schema covers (`next`). */
export async function formField(c: Context<PageEnv>, name: string): Promise<string | undefined> {
  const value = (await c.req.parseBody())[name];
  return typeof value === 'string' ? value : undefined;
}

/** A service's refusal, shown on the form: next to `field` when given, else above the form. */
export function withError(state: FormState, err: AppError, field = '_form'): FormState {
  if (err.code === 'validation_failed') {
    const details = err.details as { fieldErrors?: FieldErrors; formErrors?: string[] } | undefined;
    return { values: state.values, errors: { ...details?.fieldErrors, _form: details?.formErrors?.length ? details.formErrors : [err.message] } };
  }
  return { values: state.values, errors: { ...state.errors, [field]: [err.message] } };
}

/** A service's AppError, to show on the form; anything unexpected goes on to the error page. */
export function asFormError(err: unknown): AppError {
  if (err instanceof AppError && err.code !== 'internal') return err;
  throw err;
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

export interface FieldProps {
  name: string;
  label: string;
  state: FormState;
  type?: 'text' | 'email' | 'password' | 'number' | 'search';
  id?: string;
  hint?: string;
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

export const Field: FC<FieldProps> = (p) => {
  const id = p.id ?? `field-${p.name}`;
  const error = p.state.errors[p.name];
  const value = p.keepValue === false ? undefined : (p.state.values[p.name] ?? p.initial);
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type={p.type ?? 'text'}
        value={value}
        required={p.required}
        autocomplete={p.autocomplete}
        min={p.min}
        max={p.max}
        placeholder={p.placeholder}
        pattern={p.pattern}
        aria-invalid={error?.length ? 'true' : undefined}
        aria-describedby={describedBy(id, p.hint, error)}
      />
      <FieldMessages id={id} hint={p.hint} error={error} />
    </div>
  );
};

export interface SelectProps {
  name: string;
  label: string;
  state: FormState;
  options: { value: string; label: string }[];
  id?: string;
  hint?: string;
  initial?: string;
}

export const SelectField: FC<SelectProps> = (p) => {
  const id = p.id ?? `field-${p.name}`;
  const error = p.state.errors[p.name];
  const selected = p.state.values[p.name] ?? p.initial;
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      <select id={id} name={p.name} aria-invalid={error?.length ? 'true' : undefined} aria-describedby={describedBy(id, p.hint, error)}>
        {p.options.map((o) => (
          <option value={o.value} selected={o.value === selected}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldMessages id={id} hint={p.hint} error={error} />
    </div>
  );
};

/** Messages about the form as a whole, above its fields. */
export const FormErrors: FC<{ state: FormState }> = ({ state }) =>
  state.errors._form?.length ? (
    <p class="form-error" role="alert">
      {state.errors._form.join(' ')}
    </p>
  ) : null;
