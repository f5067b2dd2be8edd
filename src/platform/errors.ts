/**
 * The one error type business code throws, with a fixed set of codes. It
 * knows nothing of HTTP: platform/http/errors.ts maps codes to statuses and
 * the contract's JSON shape, and the pages render the same codes as HTML.
 */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_json'
  | 'validation_failed'
  | 'unauthenticated'
  | 'plan_limit'
  | 'forbidden'
  | 'email_unverified'
  | 'mfa_required'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'internal'
  | 'unavailable';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what = 'Resource') => new AppError('not_found', `${what} not found`);
