/**
 * Errors in Stripe's wire shape: `{ error: { type, message, code?, param?, decline_code? } }`
 * with the status code Stripe uses for each kind. The SDK turns these into its
 * own error classes (StripeInvalidRequestError, StripeCardError, ...) from the
 * status and `type`, so getting both right is what makes app error handling testable.
 *
 * Each error also carries Stripe's `Stripe-Should-Retry` answer, which the SDK
 * obeys before its own rules (it would otherwise retry every 409 and 5xx):
 * `false` on a 4xx, since the same request fails the same way; `true` where a
 * retry can succeed (a lock conflict); absent where Stripe cannot tell.
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
  /** The `Stripe-Should-Retry` header; null leaves it out. */
  readonly shouldRetry: boolean | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    type: StripeErrorType,
    message: string,
    extra: {
      code?: string;
      param?: string;
      declineCode?: string;
      shouldRetry?: boolean | null;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.name = 'StripeApiError';
    this.status = status;
    this.type = type;
    this.code = extra.code;
    this.param = extra.param;
    this.declineCode = extra.declineCode;
    this.shouldRetry = extra.shouldRetry !== undefined ? extra.shouldRetry : defaultShouldRetry(status);
    this.headers = {
      ...extra.headers,
      ...(this.shouldRetry !== null && { 'Stripe-Should-Retry': String(this.shouldRetry) }),
    };
  }

  toBody(): StripeErrorBody {
    const error: StripeErrorBody['error'] = { type: this.type, message: this.message };
    if (this.code !== undefined) error.code = this.code;
    if (this.param !== undefined) error.param = this.param;
    if (this.declineCode !== undefined) error.decline_code = this.declineCode;
    return { error };
  }
}

/** A client error does not change on retry; rate limits and conflicts are decided where they are raised. */
function defaultShouldRetry(status: number): boolean | null {
  if (status === 409 || status === 429) return null;
  return status >= 400 && status < 500 ? false : null;
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

/** What Stripe answers while another request holding the same Idempotency-Key is still running. */
export function idempotencyKeyInUse(key: string): StripeApiError {
  return new StripeApiError(
    409,
    'idempotency_error',
    `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
    { code: 'idempotency_key_in_use', shouldRetry: true },
  );
}

/** Stripe's answer to changing anything but metadata and cancellation_details on a canceled subscription. */
export function canceledSubscriptionFields(): StripeApiError {
  return invalidRequest(
    'A canceled subscription can only update its cancellation_details and metadata.',
    undefined,
    'invalid_canceled_subscription_fields',
  );
}

/** A 429 that, unlike a rate limit, Stripe tells clients to retry: another request holds the object. */
export function lockTimeout(): StripeApiError {
  return new StripeApiError(
    429,
    'invalid_request_error',
    'This object cannot be accessed right now because another API request or Stripe process is currently accessing it. If you see this error intermittently, retry the request. If you see this error frequently and are making multiple concurrent requests to a single object, make your requests serially or at a lower rate.',
    { code: 'lock_timeout', shouldRetry: true },
  );
}
