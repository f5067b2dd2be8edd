/**
 * Errors in Stripe's wire shape: `{ error: { type, message, code?, param?, decline_code? } }`
 * with the status code Stripe uses for each kind. The SDK turns these into its
 * own error classes (StripeInvalidRequestError, StripeCardError, ...) from the
 * status and `type`, so getting both right is what makes app error handling testable.
 */

export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorBody {
  error: {
    type: StripeErrorType;
    message: string;
    code?: string;
    param?: string;
    decline_code?: string;
  };
}

export class StripeApiError extends Error {
  readonly status: number;
  readonly type: StripeErrorType;
  readonly code: string | undefined;
  readonly param: string | undefined;
  readonly declineCode: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    type: StripeErrorType,
    message: string,
    extra: { code?: string; param?: string; declineCode?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'StripeApiError';
    this.status = status;
    this.type = type;
    this.code = extra.code;
    this.param = extra.param;
    this.declineCode = extra.declineCode;
    this.headers = extra.headers ?? {};
  }

  toBody(): StripeErrorBody {
    const error: StripeErrorBody['error'] = { type: this.type, message: this.message };
    if (this.code !== undefined) error.code = this.code;
    if (this.param !== undefined) error.param = this.param;
    if (this.declineCode !== undefined) error.decline_code = this.declineCode;
    return { error };
  }
}

export function invalidRequest(message: string, param?: string, code?: string): StripeApiError {
  return new StripeApiError(400, 'invalid_request_error', message, { param, code });
}

/** A parameter names an object that does not exist: Stripe answers 400, not 404. */
export function noSuchParam(kind: string, id: string, param: string): StripeApiError {
  return new StripeApiError(400, 'invalid_request_error', `No such ${kind}: '${id}'`, {
    code: 'resource_missing',
    param,
  });
}

/** The object in the URL does not exist. */
export function noSuchResource(kind: string, id: string): StripeApiError {
  return new StripeApiError(404, 'invalid_request_error', `No such ${kind}: '${id}'`, {
    code: 'resource_missing',
    param: 'id',
  });
}

export function unrecognizedUrl(method: string, path: string): StripeApiError {
  return new StripeApiError(
    404,
    'invalid_request_error',
    `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  );
}

export function unknownParameter(param: string): StripeApiError {
  return new StripeApiError(
    400,
    'invalid_request_error',
    `Received unknown parameter: ${param} (or the local Stripe emulator does not implement it)`,
    { code: 'parameter_unknown', param },
  );
}

export function cardDeclined(): StripeApiError {
  return new StripeApiError(402, 'card_error', 'Your card was declined.', {
    code: 'card_declined',
    declineCode: 'generic_decline',
  });
}
